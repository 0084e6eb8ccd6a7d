/**
 * `strongroom change-passphrase`: moves the keystore to a new passphrase. The current one
 * comes as for every command (STRONGROOM_PASSPHRASE, or asked); the new one from
 * STRONGROOM_NEW_PASSPHRASE, or asked twice on the terminal — never from an argument.
 * Every key's material is re-wrapped and every record re-sealed under the new passphrase's
 * root key (`kms.changeRootKey` of @strongroom/core); an interrupted change is finished by
 * the next command, whichever of the two passphrases it is given.
 *
 * ```sh
 * strongroom --keystore ~/.strongroom change-passphrase
 * ```
 */
import { passphraseRootKey } from '@strongroom/core'
import type { Command } from '../command.js'
import { newPassphrase, scryptOptions } from '../keystore.js'

export const changePassphrase: Command = {
  name: 'change-passphrase', args: '', summary: 'Change the keystore passphrase (re-wraps every key under the new one)', positionals: 0, needs: 'kms',
  async run({ kms, keystore, io, out }) {
    const rootKey = passphraseRootKey(await newPassphrase(io), scryptOptions(io))
    const { generation } = await kms.changeRootKey(rootKey)
    out.result({ keystore, changed: true, generation }, () => [`Changed the passphrase of ${keystore}`])
  },
}
