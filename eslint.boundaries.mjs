// @ts-check
/**
 * The dependency rule (docs/architecture.md): every layer and module lists what it may not import, so an arrow
 * pointing the wrong way fails `npm run lint`. Imports are matched on their relative path segments; tests may
 * reach anywhere and are not checked.
 */
const MODULES = [
  'accounts',
  'audit',
  'auth',
  'brokerages',
  'connections',
  'encryption',
  'health',
  'mail',
  'providers',
  'sync',
  'tokens',
];

/** What each module may use besides config, common and database (brokerages: not even database). */
const ALLOWED = {
  // Financial data (docs/financial-data.md): the REST read side uses the brokerages' value types only.
  accounts: ['brokerages'],
  audit: [],
  auth: ['audit', 'mail'],
  brokerages: [],
  connections: ['audit'],
  encryption: [],
  health: [],
  mail: [],
  providers: ['audit', 'brokerages', 'connections', 'encryption', 'tokens'],
  sync: ['accounts', 'brokerages', 'connections', 'encryption', 'tokens'],
  tokens: ['audit', 'brokerages', 'connections', 'encryption'],
};

const segment = (name) => `^\\.{1,2}/(?:.*/)?${name.replace('.', '\\.')}(?:/|$)`;
const APP = {
  regex: '^\\.{1,2}/(?:\\.\\./)*(?:app\\.(?:module|setup|errors|entities)|main|cli|openapi)$',
  message: 'Only entry points import the composition root.',
};
const forbid = (names, why) => names.map((name) => ({ regex: segment(name), message: why }));

const layer = (files, patterns, ignores = []) => ({
  files,
  ignores: ['**/*.spec.ts', ...ignores],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

/** Domain code throws domain errors and knows nothing of HTTP statuses, exceptions or the problem filter. */
const HTTP_FREE = {
  paths: [
    {
      name: '@nestjs/common',
      importNames: [
        'HttpStatus',
        'HttpException',
        'BadRequestException',
        'NotFoundException',
        'ConflictException',
      ],
      message: 'Domain code throws a DomainError; the problem+json filter picks the status.',
    },
  ],
  patterns: [
    {
      regex: '(?:^|/)common/(?:http|errors/app\\.exception)(?:/|$)',
      message: 'Domain code throws a DomainError (src/common/errors/domain.error.ts).',
    },
    { regex: '(?:^|/)(?:express|fastify)$', message: 'Domain code knows nothing of HTTP.' },
  ],
};

export const boundaries = [
  layer(
    ['src/config/**/*.ts'],
    [...forbid(['common', 'database', 'modules'], 'config is the bottom layer.'), APP],
  ),
  layer(
    ['src/common/**/*.ts'],
    [...forbid(['database', 'modules'], 'common is below database and the modules.'), APP],
  ),
  layer(
    ['src/database/**/*.ts'],
    [
      ...forbid(['modules'], 'database must not know the modules: they register their entities.'),
      APP,
    ],
    [
      // An entry point (npm run migration:*), like main.ts: it loads the app to collect every entity.
      'src/database/migrate.ts',
    ],
  ),
  ...MODULES.map((m) =>
    layer(
      [`src/modules/${m}/**/*.ts`],
      [
        ...forbid(
          MODULES.filter((other) => other !== m && !ALLOWED[m].includes(other)),
          `${m} may use only ${ALLOWED[m].join(', ') || 'config, common and database'} (see eslint.boundaries.mjs).`,
        ),
        ...(m === 'brokerages' ? forbid(['database'], 'brokerages has no database.') : []),
        { regex: '\\.controller$', message: 'Nothing imports a controller but its module.' },
        APP,
      ],
      ['**/*.module.ts'],
    ),
  ),
  // Module files declare their controllers; every other arrow rule still applies to them.
  ...MODULES.map((m) =>
    layer(
      [`src/modules/${m}/**/*.module.ts`],
      [
        ...forbid(
          MODULES.filter((other) => other !== m && !ALLOWED[m].includes(other)),
          `${m} may use only ${ALLOWED[m].join(', ') || 'config, common and database'} (see eslint.boundaries.mjs).`,
        ),
        ...(m === 'brokerages' ? forbid(['database'], 'brokerages has no database.') : []),
        APP,
      ],
    ),
  ),
  {
    files: ['src/modules/{audit,brokerages,connections,encryption,sync,tokens}/**/*.ts'],
    ignores: ['**/*.spec.ts', 'src/modules/brokerages/sandbox/oauth-server/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', HTTP_FREE] },
  },
];
