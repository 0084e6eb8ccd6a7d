/**
 * `strongroom init`: create a keystore in a new or empty directory, or an empty PostgreSQL schema. The passphrase is
 * asked twice on the terminal (or taken from STRONGROOM_PASSPHRASE); it derives the root
 * key (scrypt, N = 2^17 unless STRONGROOM_SCRYPT_N says otherwise, for tests only).
 *
 * ```sh
 * strongroom --keystore ~/.strongroom init
 * strongroom --store 'postgres://kms@db.internal/keys?schema=strongroom' init
 * ```
 */
import type { Command } from '../command.js'
import { initKeystore } from '../keystore.js'

export const init: Command = {
  name: 'init', args: '', summary: 'Create a keystore (asks for a new passphrase)', positionals: 0, needs: 'keystore',
  async run({ keystore, store, io, out }) {
    await initKeystore(store, io)
    out.result({ keystore, created: true }, () => [`Created keystore ${keystore}`])
  },
}
