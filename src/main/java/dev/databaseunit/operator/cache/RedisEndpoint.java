package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.postgres.PostgresTargets;

/**
 * Where and as whom the operator reaches a unit's Redis. {@link #toString()} leaves the password out.
 *
 * @param username ACL user, or null for an open server (or one with only the default user's password)
 * @param caCertificatePem CA bundle for TLS, or null for the JVM trust store
 */
public record RedisEndpoint(String host, int port, boolean tls, String username, String password, String caCertificatePem) {

  /**
   * The endpoint of spec.cache.external, with credentials and CA from its Secrets, once the egress policy allows sending
   * the password there.
   */
  public static RedisEndpoint resolve(DatabaseUnit unit, PostgresTargets.SecretLookup secrets, EgressPolicy egress)
      throws UnitProblem {
    CacheSpec.ExternalRedis external = unit.getSpec().cache().external();
    String namespace = unit.getMetadata().getNamespace();
    CredentialsRef credentials = external.credentials();
    String username = null;
    String password = null;
    if (credentials != null) {
      username = PostgresTargets.value(secrets, namespace,
          new SecretKeyRef(credentials.secretName(), credentials.usernameKeyOrDefault()));
      password = PostgresTargets.value(secrets, namespace,
          new SecretKeyRef(credentials.secretName(), credentials.passwordKeyOrDefault()));
    }
    String ca = external.caSecret() != null ? PostgresTargets.value(secrets, namespace, external.caSecret()) : null;
    egress.checkRedis(external.host(), Boolean.TRUE.equals(external.tls()), password != null);
    return new RedisEndpoint(external.host(), external.port() != null ? external.port() : 6379,
        Boolean.TRUE.equals(external.tls()), username, password, ca);
  }

  /**
   * The unit's Redis as another capability reaches it (GDPR erasure): spec.cache.external, or the managed
   * instance's Service with the password from the Secret the cache capability created. Never creates anything.
   */
  public static RedisEndpoint forUnit(DatabaseUnit unit, PostgresTargets.SecretLookup secrets, EgressPolicy egress)
      throws UnitProblem {
    if (unit.getSpec().cache().external() != null) {
      return resolve(unit, secrets, egress);
    }
    String unitName = unit.getMetadata().getName();
    String namespace = unit.getMetadata().getNamespace();
    return new RedisEndpoint(ManagedRedis.serviceHost(unitName, namespace), ManagedRedis.PORT, false, "default",
        PostgresTargets.value(secrets, namespace, new SecretKeyRef(ManagedRedis.credentialsSecret(unitName), CredentialsRef.PASSWORD)), null);
  }

  /** host:port as a condition message names the server. */
  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return "RedisEndpoint[" + (username != null ? username + "@" : "") + address() + (tls ? ", tls" : "") + "]";
  }
}
