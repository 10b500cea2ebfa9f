// async-atomic-store/redis for `import`: the CommonJS build wrapped, so
// `require` and `import` give the very same RedisLock class.
import cjs from './redis.cjs'

export const { RedisLock } = cjs
