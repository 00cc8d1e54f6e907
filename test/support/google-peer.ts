import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Agent, type Server } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GoogleRequest {
  host: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FcmAnswer {
  status: number;
  body: unknown;
}

export interface GooglePeer {
  /** Every request, as the HTTPS server received it. */
  requests: GoogleRequest[];
  /** What FCM answers for a device token (default: 200 with a message name). */
  answer(token: string, answer: FcmAnswer): void;
  /** An http.Agent that takes firebase-admin's connections to *.googleapis.com to this server, verifying its certificate. */
  agent: Agent;
  /** A test service account file with a freshly generated RSA key. */
  serviceAccountPath: string;
  /** The public half of that key, to check the signature of the token request's assertion. */
  publicKey: KeyObject;
  /** Where the HTTPS server listens, and the CA file its certificate is signed by: what `googleApisAgent` needs in another process. */
  port: number;
  caPath: string;
  close(): Promise<void>;
}

/** The FCM v1 error body for a token: the shape Google documents (google.firebase.fcm.v1.FcmError). */
export function fcmError(status: number, canonical: string, errorCode: string, message: string): FcmAnswer {
  return {
    status,
    body: { error: { code: status, message, status: canonical, details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] } },
  };
}

/**
 * Plays Google's side for firebase-admin on this machine: the OAuth token endpoint and the FCM v1
 * send endpoint, over TLS with a certificate for their host names signed by a CA made for the test.
 */
export async function startGooglePeer(): Promise<GooglePeer> {
  const dir = mkdtempSync(join(tmpdir(), 'beckon-google-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Beckon test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=googleapis test');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=DNS:fcm.googleapis.com,DNS:oauth2.googleapis.com\n');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '2', '-extfile', 'san.cnf');
  const ca = readFileSync(join(dir, 'ca.crt'));

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccountPath = join(dir, 'service-account.json');
  writeFileSync(serviceAccountPath, JSON.stringify({
    type: 'service_account',
    project_id: 'beckon-test',
    private_key_id: 'test-key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'beckon@beckon-test.iam.gserviceaccount.com',
    client_id: '1',
    token_uri: 'https://oauth2.googleapis.com/token',
  }));

  const requests: GoogleRequest[] = [];
  const answers = new Map<string, FcmAnswer>();
  let sent = 0;
  const server: Server = createServer({ key: readFileSync(join(dir, 'leaf.key')), cert: readFileSync(join(dir, 'leaf.crt')) }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ host: String(req.headers.host), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/token') {
        res.end(JSON.stringify({ access_token: 'test-access-token', expires_in: 3600, token_type: 'Bearer' }));
        return;
      }
      const token = (JSON.parse(body) as { message?: { token?: string } }).message?.token ?? '';
      const answer = answers.get(token) ?? { status: 200, body: { name: `projects/beckon-test/messages/${++sent}` } };
      res.statusCode = answer.status;
      res.end(JSON.stringify(answer.body));
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

  const agent = googleApisAgent(port, ca);

  return {
    requests,
    answer: (token, answer) => answers.set(token, answer),
    agent,
    serviceAccountPath,
    publicKey,
    port,
    caPath: join(dir, 'ca.crt'),
    close: () => new Promise((resolve) => {
      agent.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** An agent that takes every connection to the Google peer on `port`; TLS still checks the certificate against the real host name. */
export function googleApisAgent(port: number, ca: Buffer): Agent {
  const agent = new Agent({ ca });
  agent.createConnection = (options, callback) =>
    connect({ ...(options as object), host: '127.0.0.1', port, servername: (options as { servername?: string; host?: string }).servername ?? (options as { host?: string }).host, ca }, callback as () => void);
  return agent;
}
