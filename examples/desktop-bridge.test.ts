/** The desktop bridge example runs: windows get their own principal and allow-list. */
import { describe, expect, it } from 'vitest'
import { desktopBridgeDemo } from './desktop-bridge.js'

describe('desktop bridge example', () => {
  it('the capture window encrypts, the notes window decrypts, the capture window cannot decrypt, and the trail names each', async () => {
    const outcome = await desktopBridgeDemo()
    expect(outcome.notesWindowRead).toBe('meeting at 10')
    expect(outcome.captureWindowRefused).toBe('Forbidden.NoPermission: this window (window-capture) may not call kms:Decrypt through the bridge')
    expect(outcome.trail).toEqual(['window-capture Encrypt Success', 'window-notes Decrypt Success'])
  })
})
