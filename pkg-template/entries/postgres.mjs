// async-atomic-store/postgres for `import`: the CommonJS build wrapped, so
// `require` and `import` give the very same PgLock class.
import cjs from './postgres.cjs'

export const { PgLock } = cjs
