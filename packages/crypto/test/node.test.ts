import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { providerSuite } from './provider-suite.js'

providerSuite(nodeCryptoProvider)
