/** `git-seal add-recipient`: see recipients.ts. */
export { add as run } from './recipients.js'
