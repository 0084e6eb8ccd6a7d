export {
  assertServable, isLoopbackHost, lastValueQuery, listen, multiValueQuery, protocolListener, readBody, requestParts, send,
  SERVER_TIMEOUTS, untilAborted,
} from './http.js'
export type { ListeningServer, ProtocolListenerOptions, RequestParts, WireResponse } from './http.js'
export { PrincipalClients, MAX_CACHED_PRINCIPALS, NO_AUTHORIZATION_MESSAGE } from './principals.js'
export { principalResolver } from './principals.js'
export type { CallerOptions, PrincipalEngine } from './principals.js'
export { FacadeError, answerWith, reportServerFault, toWireError } from './faults.js'
export type { AnswerOptions, WireErrorMapping } from './faults.js'
export { findOperation } from './operations.js'
export type { UnsupportedOperation } from './operations.js'
