/**
 * What the bundle imports as `yaml` (scripts/build.mjs aliases it here): the same names, each
 * loading the vendored library on first use (vendor.ts). Only the names git-seal uses; a new
 * one fails the build (esbuild reports the missing export) until it is added here.
 */
import type * as Yaml from 'yaml'
import { requireVendored } from './vendor.js'

let lib: typeof Yaml | undefined
const yaml = (): typeof Yaml => (lib ??= requireVendored<typeof Yaml>('yaml'))

export const isAlias = ((node: unknown) => yaml().isAlias(node)) as typeof Yaml.isAlias
export const isMap = ((node: unknown) => yaml().isMap(node)) as typeof Yaml.isMap
export const isScalar = ((node: unknown) => yaml().isScalar(node)) as typeof Yaml.isScalar
export const isSeq = ((node: unknown) => yaml().isSeq(node)) as typeof Yaml.isSeq
export const parse = ((...args: Parameters<typeof Yaml.parse>) => yaml().parse(...args)) as typeof Yaml.parse
export const parseDocument = ((...args: Parameters<typeof Yaml.parseDocument>) =>
  yaml().parseDocument(...args)) as typeof Yaml.parseDocument
export const parseAllDocuments = ((...args: Parameters<typeof Yaml.parseAllDocuments>) =>
  yaml().parseAllDocuments(...args)) as typeof Yaml.parseAllDocuments
export const stringify = ((...args: Parameters<typeof Yaml.stringify>) =>
  yaml().stringify(...args)) as typeof Yaml.stringify
export const visit = ((...args: Parameters<typeof Yaml.visit>) => yaml().visit(...args)) as typeof Yaml.visit
// Classes: `new Parser()` calls this function, whose returned object is the instance.
// biome-ignore lint/complexity/useArrowFunction: called with `new`, and an arrow function cannot be a constructor
export const Parser = function (...args: ConstructorParameters<typeof Yaml.Parser>) {
  return new (yaml().Parser)(...args)
} as unknown as typeof Yaml.Parser
// biome-ignore lint/complexity/useArrowFunction: called with `new`, and an arrow function cannot be a constructor
export const LineCounter = function () {
  return new (yaml().LineCounter)()
} as unknown as typeof Yaml.LineCounter
