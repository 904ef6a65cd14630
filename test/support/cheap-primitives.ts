// Database specs hash hundreds of passwords; argon2id at OWASP cost is ~10 ms each on these machines. The
// production parameters are still asserted: src/modules/auth/password-hashing.spec.ts and the stored-hash check in
// test/e2e/auth/auth-flows.e2e.spec.ts (which sets PASSWORD_HASHING=owasp).
process.env.PASSWORD_HASHING ??= 'test';
