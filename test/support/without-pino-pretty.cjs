// Preload (NODE_OPTIONS=--require) that makes pino-pretty unresolvable, as in a production install (npm ci --omit=dev).
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'pino-pretty') {
    const err = new Error("Cannot find module 'pino-pretty'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
