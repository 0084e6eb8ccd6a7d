/**
 * The README is the specification: its action table and its error tables must say what
 * the code does. A row added to a table in the code without the README (or the other way
 * round) fails here.
 */
import { readFileSync } from 'node:fs'
import { ERROR_CODES, KmsError, type KmsErrorCode } from '@strongroom/core'
import { describe, expect, it } from 'vitest'
import { ALIYUN_ACTIONS, PROTOCOL_ERRORS, toAliyunError } from '@strongroom/aliyun'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

function tableRows(marker: string): string[][] {
  const start = readme.indexOf(`<!-- ${marker}:start -->`)
  const end = readme.indexOf(`<!-- ${marker}:end -->`)
  expect(start).toBeGreaterThan(0)
  return readme.slice(start, end).split('\n').filter((l) => l.startsWith('| ') && !/^\| (action|engine code|code) \|/.test(l))
    .map((l) => l.slice(2, -2).split(' | '))
}

describe('README', () => {
  it('lists every action, as served or unsupported exactly as ALIYUN_ACTIONS says', () => {
    const served = new Set<string>()
    const unsupported = new Set<string>()
    for (const [actions, engine] of tableRows('actions')) {
      for (const action of actions!.split(', ')) (engine === '—' ? unsupported : served).add(action)
    }
    const code = Object.entries(ALIYUN_ACTIONS)
    expect([...served].sort()).toEqual(code.filter(([, e]) => 'run' in e).map(([a]) => a).sort())
    expect([...unsupported].sort()).toEqual(code.filter(([, e]) => 'unsupported' in e).map(([a]) => a).sort())
  })

  it('gives every engine error code the Alibaba code and status it answers with', () => {
    const rows = tableRows('errors')
    expect(rows.map(([code]) => code!.replaceAll('`', '')).sort()).toEqual(Object.keys(ERROR_CODES).sort())
    for (const [code, wire, status] of rows) {
      const error = toAliyunError(new KmsError(code!.replaceAll('`', '') as KmsErrorCode))
      expect([error.code, error.status], code).toEqual([wire, Number(status)])
    }
  })

  it('lists every protocol error with its status', () => {
    const rows = tableRows('protocol-errors')
    expect(rows.map(([code]) => code).sort()).toEqual(Object.keys(PROTOCOL_ERRORS).sort())
    for (const [code, status] of rows) expect(Number(status), code).toBe(PROTOCOL_ERRORS[code as keyof typeof PROTOCOL_ERRORS])
  })
})
