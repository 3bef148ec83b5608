/** `git-seal remove-recipient`: see recipients.ts. */
export { remove as run } from './recipients.js'
