package dev.databaseunit.operator.connection;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import dev.databaseunit.operator.pool.PgBouncerResources;
import dev.databaseunit.operator.postgres.PostgresTarget;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Secret an application connects with, as a pure function of the unit and its resolved database target:
 * through the pooler when the unit has one (the external PgBouncer from the spec, or the managed pooler's
 * Service), else straight to PostgreSQL. It carries the applications' credentials
 * ({@link dev.databaseunit.operator.postgres.PostgresTargets#application}), which the pooler's userlist also holds. The data is kept base64-encoded, as the API server returns it, so it compares
 * directly with what the informer cache holds.
 */
public final class ConnectionSecrets {
  public static final String MANAGED_BY = "databaseunit-operator";

  /** Where the application connects: host, port, the sslmode to use there and the CA to verify it with (or null). */
  public record Endpoint(String host, int port, String sslMode, boolean pooled, String caCertificatePem) {}

  private ConnectionSecrets() {}

  public static String name(DatabaseUnit unit) {
    return unit.getMetadata().getName() + "-connection";
  }

  /**
   * @param poolerCa the CA of the managed pooler's client-side certificate, when known: with it the application
   *     verifies the pooler (verify-full), without it TLS is still required unless client TLS is disabled
   */
  public static Endpoint endpoint(DatabaseUnit unit, PostgresTarget target, Optional<String> poolerCa) {
    PoolerSpec pooler = unit.getSpec().pooler();
    if (pooler == null || Boolean.FALSE.equals(pooler.enabled())) {
      return new Endpoint(target.host(), target.port(), target.sslMode().libpqName(), false, target.caCertificatePem());
    }
    // How an external PgBouncer's client side is set up is not known here: prefer uses TLS where it is offered.
    if (pooler.external() != null) {
      int port = pooler.external().port() != null ? pooler.external().port() : PgBouncerResources.PORT;
      return new Endpoint(pooler.external().host(), port, "prefer", true, null);
    }
    String sslMode = PgBouncerResources.clientTlsMode(pooler) == PoolerSpec.ClientTlsMode.DISABLE ? "disable"
        : poolerCa.isPresent() ? "verify-full" : "require";
    return new Endpoint(PgBouncerResources.serviceHost(unit), PgBouncerResources.PORT, sslMode, true,
        "verify-full".equals(sslMode) ? poolerCa.get() : null);
  }

  /** The keys applications read: host, port, database, username, password, sslmode, jdbc-url (and ca.crt). */
  public static Map<String, String> data(DatabaseUnit unit, PostgresTarget target, Optional<String> poolerCa) {
    Endpoint endpoint = endpoint(unit, target, poolerCa);
    var values = new LinkedHashMap<String, String>();
    values.put("host", endpoint.host());
    values.put("port", Integer.toString(endpoint.port()));
    values.put("database", target.database());
    values.put("username", target.username());
    values.put("password", target.password());
    values.put("sslmode", endpoint.sslMode());
    values.put("jdbc-url", jdbcUrl(unit, endpoint, target.database()));
    if (endpoint.caCertificatePem() != null) {
      values.put("ca.crt", endpoint.caCertificatePem());
    }
    var encoded = new LinkedHashMap<String, String>();
    values.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return encoded;
  }

  public static Secret desired(DatabaseUnit unit, PostgresTarget target, Optional<String> poolerCa) {
    return new SecretBuilder()
        .withNewMetadata()
          .withName(name(unit))
          .withNamespace(unit.getMetadata().getNamespace())
          .addToLabels("app.kubernetes.io/managed-by", MANAGED_BY)
          .addToLabels("databaseunit.dev/unit", unit.getMetadata().getName())
          .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(unit.getApiVersion()).withKind(unit.getKind())
              .withName(unit.getMetadata().getName()).withUid(unit.getMetadata().getUid())
              .withController(true).withBlockOwnerDeletion(true).build())
        .endMetadata()
        .withType("Opaque")
        .withData(data(unit, target, poolerCa))
        .build();
  }

  /**
   * A JDBC URL without credentials. Through a transaction- or statement-mode pooler, server-side prepared
   * statements cannot follow the client from one server connection to the next, so pgjdbc must not use them.
   */
  static String jdbcUrl(DatabaseUnit unit, Endpoint endpoint, String database) {
    String host = endpoint.host().contains(":") ? "[" + endpoint.host() + "]" : endpoint.host();
    var url = new StringBuilder("jdbc:postgresql://").append(host).append(':').append(endpoint.port()).append('/')
        .append(database).append("?sslmode=").append(endpoint.sslMode());
    PoolerSpec pooler = unit.getSpec().pooler();
    if (endpoint.pooled() && pooler.poolMode() != PoolerSpec.PoolMode.SESSION) {
      url.append("&prepareThreshold=0");
    }
    return url.toString();
  }
}
