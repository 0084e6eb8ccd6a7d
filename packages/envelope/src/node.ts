export { sealStream, openStream } from './node-stream.js'
export { sealFile, openFile } from './file.js'
export type { FileOptions, SealFileOptions, OpenFileOptions, FileResult, FileProgress } from './file.js'
