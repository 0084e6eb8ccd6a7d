/**
 * The page: it sees only `window.notes` (seal and open a note) — no engine, no keys, no
 * other operation. Bundle it to renderer.js (see README.md).
 */
interface NotesApi {
  seal(text: string): Promise<Uint8Array>
  open(sealed: Uint8Array): Promise<string>
}
const { notes } = window as unknown as { notes: NotesApi }

const input = document.querySelector<HTMLTextAreaElement>('#note')!
const output = document.querySelector<HTMLPreElement>('#output')!
let sealed: Uint8Array | undefined

document.querySelector('#seal')!.addEventListener('click', async () => {
  sealed = await notes.seal(input.value)
  input.value = ''
  output.textContent = `sealed: ${sealed.length} bytes`
})
document.querySelector('#open')!.addEventListener('click', async () => {
  if (sealed === undefined) return
  try {
    output.textContent = `opened: ${await notes.open(sealed)}`
  } catch (error) {
    output.textContent = `refused: ${(error as Error).message}`
  }
})
