/**
 * Jest's sequencer runs the slowest files first, from durations it keeps per project config `id`. All projects
 * share one `id` here (one transform cache), so each project's write replaced the others' and only the last
 * project's durations survived: the rest ran in file-size order, and a slow file could start last.
 */
const { join } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

class PerProjectSequencer extends Sequencer {
  _getCachePath(context) {
    const { cacheDirectory, id, displayName } = context.config;
    return join(cacheDirectory, `perf-cache-${id}-${displayName?.name ?? 'default'}.json`);
  }
}

module.exports = PerProjectSequencer;
