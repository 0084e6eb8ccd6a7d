/**
 * The README is the specification: these tests keep its generated parts (the state ×
 * operation matrix and the error table) identical to the code they describe.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, KEY_OPERATION_RULES, KEY_STATES } from '@strongroom/core'

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')

function section(name: string): string {
  const start = readme.indexOf(`<!-- ${name}:start -->`)
  const end = readme.indexOf(`<!-- ${name}:end -->`)
  expect(start, `README has a ${name} section`).toBeGreaterThan(0)
  return readme.slice(start + `<!-- ${name}:start -->`.length, end).trim()
}

/** The matrix as the README shows it: ✓ for allowed, else the error code. */
export function renderStateMatrix(): string {
  const lines = [`| operation | ${KEY_STATES.join(' | ')} |`, `|---|${KEY_STATES.map(() => '---').join('|')}|`]
  for (const [operation, rules] of Object.entries(KEY_OPERATION_RULES)) {
    lines.push(`| ${operation} | ${KEY_STATES.map((s) => (rules[s] === 'allowed' ? '✓' : `\`${rules[s]}\``)).join(' | ')} |`)
  }
  return lines.join('\n')
}

describe('README', () => {
  it('shows the state × operation matrix exactly as KEY_OPERATION_RULES defines it', () => {
    expect(section('state-matrix')).toBe(renderStateMatrix())
  })

  it('shows the quickstart exactly as examples/quickstart.ts runs it', () => {
    const start = readme.indexOf("```ts\nimport { Kms } from '@strongroom/core'")
    const snippet = readme.slice(start + 6, readme.indexOf('```\n', start + 6))
    const example = readFileSync(new URL('../../../examples/quickstart.ts', import.meta.url), 'utf8')
    expect(snippet.length).toBeGreaterThan(100)
    expect(example).toContain(snippet)
  })

  it('lists every error code with its kind and HTTP status', () => {
    const table = section('error-codes')
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(table).toContain(`| \`${code}\` | ${info.kind} | ${info.httpStatus} |`)
    }
  })
})
