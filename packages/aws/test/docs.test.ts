/**
 * The README is the specification: its operation table and its error table must say
 * what the code does. A row added to either table in the code without the README (or the
 * other way round) fails here.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AWS_ERRORS, AWS_OPERATIONS, ENGINE_ERROR_MAP, type AwsErrorType } from '@strongroom/aws'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

function tableRows(marker: string): string[][] {
  const start = readme.indexOf(`<!-- ${marker}:start -->`)
  const end = readme.indexOf(`<!-- ${marker}:end -->`)
  expect(start).toBeGreaterThan(0)
  return readme.slice(start, end).split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| AWS operation') && !l.startsWith('| engine code'))
    .map((l) => l.slice(2, -2).split(' | '))
}

describe('README', () => {
  it('lists every operation, as mapped or unsupported exactly as AWS_OPERATIONS says', () => {
    const mapped = new Set<string>()
    const unsupported = new Set<string>()
    for (const [operations, engine] of tableRows('operations')) {
      for (const op of operations!.split(', ')) (engine === '—' ? unsupported : mapped).add(op)
    }
    const code = Object.entries(AWS_OPERATIONS)
    expect([...mapped].sort()).toEqual(code.filter(([, e]) => 'run' in e).map(([op]) => op).sort())
    expect([...unsupported].sort()).toEqual(code.filter(([, e]) => 'unsupported' in e).map(([op]) => op).sort())
  })

  it('gives every engine error code its AWS exception and status', () => {
    const rows = tableRows('errors')
    expect(rows.map(([code]) => code!.replaceAll('`', '')).sort()).toEqual(Object.keys(ENGINE_ERROR_MAP).sort())
    for (const [code, exception, status] of rows) {
      const type = ENGINE_ERROR_MAP[code!.replaceAll('`', '')] as AwsErrorType
      expect(exception!.split(' ')[0], code).toBe(type)
      expect(Number(status), code).toBe(AWS_ERRORS[type])
    }
  })
})
