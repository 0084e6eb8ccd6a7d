import { KmsError } from '@strongroom/core'
import { describe, expect, it } from 'vitest'
import { answerWith, FacadeError, reportServerFault, toWireError, type WireErrorMapping } from '@strongroom/facade'

class TestError extends FacadeError {
  override readonly name = 'TestError'
  constructor(readonly kind: string, readonly status: number, message: string, options?: { readonly cause?: unknown }) {
    super(message, options)
  }
}

const mapping: WireErrorMapping<TestError> = {
  own: (error): error is TestError => error instanceof TestError,
  engine: (error) => new TestError(`engine:${error.code}`, error.httpStatus, error.message, { cause: error }),
  badValue: (error) => new TestError('bad-value', 400, error.message, { cause: error }),
  fault: (error) => new TestError('fault', 500, 'generic', { cause: error }),
}

describe('FacadeError', () => {
  it('is a server fault at 5xx only, and keeps its cause', () => {
    const cause = new Error('inner')
    expect(new TestError('x', 503, 'm', { cause }).isServerFault).toBe(true)
    expect(new TestError('x', 400, 'm').isServerFault).toBe(false)
    expect(new TestError('x', 500, 'm', { cause }).cause).toBe(cause)
    expect('cause' in new TestError('x', 400, 'm')).toBe(false)
  })
})

describe('toWireError', () => {
  it('keeps its own errors, maps engine errors, bad values and anything else', () => {
    const own = new TestError('own', 400, 'mine')
    expect(toWireError(own, mapping)).toBe(own)
    expect(toWireError(new KmsError('Rejected.Disabled'), mapping).kind).toBe('engine:Rejected.Disabled')
    expect(toWireError(new TypeError('not a string'), mapping)).toMatchObject({ kind: 'bad-value', message: 'not a string' })
    expect(toWireError(new RangeError('too long'), mapping).kind).toBe('bad-value')
    const fault = toWireError(new Error('disk at /secret/path'), mapping)
    expect(fault).toMatchObject({ kind: 'fault', message: 'generic' })
  })
})

describe('answerWith', () => {
  const reports: [unknown, string][] = []
  const protocol = answerWith({
    run: async (request: { op: string; throws?: unknown }) => {
      if (request.throws !== undefined) throw request.throws
      return `done ${request.op}`
    },
    ok: (result, requestId) => ({ status: 200, result, requestId }),
    fail: (error: TestError, requestId) => ({ status: error.status, result: error.kind, requestId }),
    toError: (thrown) => toWireError(thrown, mapping),
    newRequestId: () => 'req-1',
    onError: (error, operation) => reports.push([error, operation]),
    operationOf: (request) => request.op,
  })

  it('answers success and failure, reporting only server faults with their cause', async () => {
    expect(await protocol({ op: 'A' })).toEqual({ status: 200, result: 'done A', requestId: 'req-1' })
    expect(await protocol({ op: 'B', throws: new TypeError('bad') })).toEqual({ status: 400, result: 'bad-value', requestId: 'req-1' })
    expect(reports).toEqual([])
    const cause = new Error('store gone')
    expect(await protocol({ op: 'C', throws: cause })).toEqual({ status: 500, result: 'fault', requestId: 'req-1' })
    expect(reports).toEqual([[cause, 'C']])
  })

  it('survives a failing logger', () => {
    expect(() => reportServerFault(() => { throw new Error('logger down') }, new Error('x'), 'Op')).not.toThrow()
    expect(() => reportServerFault(undefined, new Error('x'), 'Op')).not.toThrow()
  })
})
