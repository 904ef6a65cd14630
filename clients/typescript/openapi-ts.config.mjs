// `npm run client`: regenerates src/ from the repository's openapi.json (never edit src/ by hand).
export default {
  input: '../../openapi.json',
  // Extensionless imports: the repository compiles as CommonJS (tsc and Jest resolve them without a mapper).
  output: { path: 'src', clean: true, module: { extension: '' } },
  logs: { file: false },
  plugins: [
    '@hey-api/client-fetch',
    '@hey-api/typescript',
    { name: '@hey-api/sdk', operations: { strategy: 'flat' } },
  ],
};
