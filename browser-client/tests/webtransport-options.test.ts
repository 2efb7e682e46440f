import { describe, expect, it } from 'vitest';
import { webTransportOptions } from '../src/transport/webtransport';

describe('WebTransport options', () => {
  it('pins the development certificate by its hash', () => {
    const options = webTransportOptions('ab'.repeat(32));
    expect(options.serverCertificateHashes).toHaveLength(1);
    expect(options.serverCertificateHashes?.[0].algorithm).toBe('sha-256');
    expect(new Uint8Array(options.serverCertificateHashes?.[0].value as Uint8Array)).toEqual(
      new Uint8Array(32).fill(0xab),
    );
  });

  it('pins nothing when the gateway has a certificate browsers trust', () => {
    expect(webTransportOptions(null)).toEqual({});
  });
});
