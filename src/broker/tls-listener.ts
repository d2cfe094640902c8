/**
 * A TLS listener (SSL or SASL_SSL): the server options come from the
 * listener's ssl.* settings (listener.name.<l>.ssl.* over ssl.*), read once
 * at start-up, so a missing or wrong key stops start-up with the setting's
 * name. A client whose handshake fails (plaintext bytes on the TLS port, a
 * certificate the truststore does not vouch for, garbage) is logged with its
 * address and closed; nothing else is touched.
 *
 * On SSL listeners the client certificate's subject, mapped by
 * ssl.principal.mapping.rules, is the principal (User:ANONYMOUS without one);
 * on SASL_SSL the SASL exchange decides it.
 */
import { createServer, type TLSSocket } from 'node:tls';
import type { Server } from 'node:net';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Listener } from '../config/listeners.js';
import type { Logger } from './logger.js';
import { tlsServerOptions } from '../security/tls-options.js';
import { parseSslPrincipalMappingRules, sslPrincipalOfConnection } from '../security/ssl-principal.js';

export function createTlsServer(config: BrokerConfig, listener: Listener, log: Logger, onSecure: (socket: TLSSocket, principal: string) => void): Server {
  const setting = (key: string) => config.listenerSetting(listener.name, key);
  const options = tlsServerOptions({ get: setting });
  const rules = parseSslPrincipalMappingRules(setting('ssl.principal.mapping.rules') || 'DEFAULT');
  // A client that starts a handshake and goes quiet holds a socket: it gets as long as a request may take to arrive.
  const receiveTimeout = config.int('socket.request.receive.timeout.ms');
  const server = createServer({ ...options, handshakeTimeout: receiveTimeout > 0 ? receiveTimeout : 120_000 }, (socket) => {
    let principal: string;
    try {
      principal = `User:${sslPrincipalOfConnection(socket, rules)}`;
    } catch (e) {
      log.warn(`closing TLS connection from ${socket.remoteAddress}:${socket.remotePort} on listener ${listener.name}: ${(e as Error).message}`, { address: `${socket.remoteAddress}:${socket.remotePort}`, listener: listener.name });
      socket.destroy();
      return;
    }
    onSecure(socket, principal);
  });
  server.on('tlsClientError', (err, socket) => {
    log.warn(`TLS handshake with ${socket.remoteAddress}:${socket.remotePort} on listener ${listener.name} failed: ${err.message}`, { address: `${socket.remoteAddress}:${socket.remotePort}`, listener: listener.name });
    socket.destroy();
  });
  return server;
}
