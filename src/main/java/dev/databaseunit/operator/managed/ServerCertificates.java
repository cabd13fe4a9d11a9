package dev.databaseunit.operator.managed;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A private CA and a server certificate signed by it, for a managed PostgreSQL's TLS. Clients (the operator,
 * applications through the connection Secret) verify the server with the CA, so sslmode=verify-full works
 * without a cluster-wide issuer.
 */
public final class ServerCertificates {
  /** PEM texts: the CA certificate, the server certificate and its private key (PKCS#8). */
  public record Issued(String caCertificate, String serverCertificate, String serverKey) {}

  private static final SecureRandom RANDOM = new SecureRandom();

  private ServerCertificates() {}

  /**
   * A kubernetes.io/tls Secret (ca.crt, tls.crt, tls.key) for a Service: a new private CA and a certificate for
   * its DNS names, the first being the common name, valid for ten years (rotation: delete the Secret).
   */
  public static Secret tlsSecret(ObjectMeta metadata, List<String> dnsNames, Instant now) {
    var issued = issue(dnsNames.getFirst(), dnsNames, Duration.ofDays(3650), now);
    return new SecretBuilder().withMetadata(metadata).withType("kubernetes.io/tls")
        .withStringData(Map.of("ca.crt", issued.caCertificate(), "tls.crt", issued.serverCertificate(), "tls.key", issued.serverKey()))
        .build();
  }

  public static Issued issue(String commonName, List<String> dnsNames, Duration validity, Instant now) {
    try {
      KeyPair caKeys = keyPair();
      X509Certificate ca = sign(new X500Name("CN=" + commonName + " CA"), new X500Name("CN=" + commonName + " CA"),
          caKeys, caKeys, true, List.of(), validity, now);
      KeyPair serverKeys = keyPair();
      X509Certificate server = sign(new X500Name("CN=" + commonName + " CA"), new X500Name("CN=" + commonName),
          serverKeys, caKeys, false, dnsNames, validity, now);
      return new Issued(pem(ca), pem(server), pem(serverKeys.getPrivate()));
    } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException | java.io.IOException e) {
      throw new IllegalStateException("Cannot issue a certificate for " + commonName, e);
    }
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    var generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256, RANDOM);
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(X500Name issuer, X500Name subject, KeyPair subjectKeys, KeyPair issuerKeys,
      boolean isCa, List<String> dnsNames, Duration validity, Instant now)
      throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException, java.io.IOException {
    var builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subject, subjectKeys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(isCa
        ? KeyUsage.keyCertSign | KeyUsage.cRLSign
        : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    if (!dnsNames.isEmpty()) {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
          dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
    }
    var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
  }

  private static String pem(Object object) throws java.io.IOException {
    var out = new StringWriter();
    try (var writer = new JcaPEMWriter(out)) {
      writer.writeObject(object instanceof java.security.PrivateKey key
          ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null) : object);
    }
    return out.toString();
  }
}
