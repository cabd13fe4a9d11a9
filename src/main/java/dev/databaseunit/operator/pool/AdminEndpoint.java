package dev.databaseunit.operator.pool;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Where a unit's PgBouncer admin console is, how to log in and whether over TLS; the password never appears in
 * toString.
 *
 * @param host the name TLS verifies the certificate against, and where to connect unless address says otherwise
 * @param tls null for plain TCP
 * @param address where to connect when it is not the host (one pod of a Service); null for the host
 */
public record AdminEndpoint(String host, int port, String user, String password, Tls tls, String address) {

  /** A console reached over plain TCP (an external PgBouncer, or one on loopback). */
  public AdminEndpoint(String host, int port, String user, String password) {
    this(host, port, user, password, null, null);
  }

  public AdminEndpoint(String host, int port, String user, String password, Tls tls) {
    this(host, port, user, password, tls, null);
  }

  /** The same console on one pod: connect to its address and port, and still verify the certificate for the host. */
  public AdminEndpoint at(String podAddress, int podPort) {
    return new AdminEndpoint(host, podPort, user, password, tls, podAddress);
  }

  /** @param caCertificatePem the CA to trust, PEM; null trusts the JVM's default CAs */
  public record Tls(String caCertificatePem) {

    SSLSocketFactory socketFactory() {
      try {
        if (caCertificatePem == null) {
          return SSLContext.getDefault().getSocketFactory();
        }
        var trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate ca : CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(caCertificatePem.getBytes(StandardCharsets.US_ASCII)))) {
          trust.setCertificateEntry("ca-" + i++, ca);
        }
        var managers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        managers.init(trust);
        var context = SSLContext.getInstance("TLS");
        context.init(null, managers.getTrustManagers(), null);
        return context.getSocketFactory();
      } catch (GeneralSecurityException | java.io.IOException e) {
        throw new IllegalArgumentException("the pooler's CA certificate cannot be read: " + e.getMessage(), e);
      }
    }
  }

  public PgBouncerAdminClient connect(Duration timeout) {
    return new PgBouncerAdminClient(address != null ? address : host, host, port, user, password, timeout,
        tls != null ? tls.socketFactory() : null);
  }

  @Override
  public String toString() {
    return "AdminEndpoint[" + user + "@" + (address != null ? address + " (" + host + ")" : host) + ":" + port
        + (tls != null ? ", TLS" : "") + "]";
  }
}
