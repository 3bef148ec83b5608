/** `git-seal unlock`: see lock.ts. */
export { unlock as run } from './lock.js'
