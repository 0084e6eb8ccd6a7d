/** Engine errors on the wire: every engine code becomes an Alibaba code with its status, faults without details. */
import { ERROR_CODES, KmsError, type KmsErrorCode } from '@strongroom/core'
import { describe, expect, it } from 'vitest'
import { AliyunError, ENGINE_ERROR_MAP, PROTOCOL_ERRORS, toAliyunError } from '@strongroom/aliyun'

describe('toAliyunError', () => {
  it('passes every caller code through with the status core gives it, and renames every fault', () => {
    for (const code of Object.keys(ERROR_CODES) as KmsErrorCode[]) {
      const error = toAliyunError(new KmsError(code, 'detail'))
      if (Object.hasOwn(ENGINE_ERROR_MAP, code)) {
        expect(error.code).toBe(ENGINE_ERROR_MAP[code])
        expect(error.status).toBe(PROTOCOL_ERRORS[ENGINE_ERROR_MAP[code]!])
        expect(error.message).not.toContain('detail')
      } else {
        expect(ERROR_CODES[code].kind).toBe('caller')
        expect([error.code, error.status, error.message]).toEqual([code, ERROR_CODES[code].httpStatus, 'detail'])
      }
    }
  })

  it('a TypeError from a request value is InvalidParameter; anything else is InternalFailure without its message', () => {
    expect(toAliyunError(new TypeError('bad shape')).code).toBe('InvalidParameter')
    const internal = toAliyunError(new Error('disk path /secret'))
    expect([internal.code, internal.status, internal.isServerFault]).toEqual(['InternalFailure', 500, true])
    expect(internal.message).not.toContain('/secret')
    const own = new AliyunError('SignatureNonceUsed', 'used')
    expect(toAliyunError(own)).toBe(own)
  })
})
