// The same suite under Node's own test runner, without vitest: `pnpm run test:node`
// (node --import tsx --conditions=source --test test/*.node-test.ts).
import { mapStorage, storageConformanceSuite } from '@strongroom/storage-conformance'
import { nodeTestRunner } from '@strongroom/storage-conformance/node-test'

storageConformanceSuite({ runner: nodeTestRunner, name: 'map (reference adapter, node:test)', factory: async () => mapStorage() })
