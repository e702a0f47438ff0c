// A real OpenID Connect provider (oidc-provider) on loopback for Tessera's end-to-end tests.
//
//   REDIRECT_URIS=http://localhost:3000/api/auth/callback/oidc node server.mjs
//
// Listens on a free port of 127.0.0.1 and prints one JSON line, {"issuer": "..."}, once it
// is ready. Client "tessera" / "tessera-secret" (client_secret_basic, PKCE required) and
// client "tessera-pkjwt" (private_key_jwt with an ES256 key) may redirect to the
// comma-separated REDIRECT_URIS. Login uses oidc-provider's development
// interactions: any password; the login name picks the account below. Stops when stdin
// closes (so a test that dies does not leave it running) or on SIGTERM.

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const ACCOUNTS = {
  alice: { email: 'alice@example.com', name: 'Alice Liddell' },
  // Same address as alice, another account: the OAuthAccountNotLinked case.
  bob: { email: 'ALICE@example.com', name: 'Bob' },
  carol: { email: 'carol@example.com', name: 'Carol' },
};

const redirectUris = (process.env.REDIRECT_URIS || 'http://localhost:3000/api/auth/callback/oidc')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e-rsa', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'tessera',
      client_secret: 'tessera-secret',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      // No secret: the client signs its token requests with its P-256 key (private_key_jwt).
      // The private half is CLIENT_KEY_PEM in crates/tessera/tests/common/mod.rs.
      client_id: 'tessera-pkjwt',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: {
        keys: [
          {
            kty: 'EC',
            crv: 'P-256',
            x: 'Wvvs25a-nOkewMOIFPZvDQtqv8VBGtpdc26XARi81IA',
            y: 'PGb60j-6JNYcUfMPBYuM1RCp3EW5oWKN2Lsoiji8HG4',
            kid: 'client-1',
            use: 'sig',
            alg: 'ES256',
          },
        ],
      },
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['tessera-e2e-cookie-key'] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'picture'],
  },
  // Scope claims go into the ID token too (Tessera reads the profile from it by default).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const account = ACCOUNTS[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: account.email, email_verified: true, name: account.name, picture: `https://img.example/${sub}.png` };
      },
    };
  },
});
provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error', err));

server.on('request', provider.callback());
console.log(JSON.stringify({ issuer }));

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
