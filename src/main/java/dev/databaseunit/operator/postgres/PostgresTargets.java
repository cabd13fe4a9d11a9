package dev.databaseunit.operator.postgres;

import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.ExternalPostgres;
import dev.databaseunit.operator.api.v1alpha1.ManagedPostgres;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/** Resolves a unit's spec and the Secrets it references into a {@link PostgresTarget}. */
public final class PostgresTargets {
  /** Port of the managed instance's Service. */
  public static final int MANAGED_PORT = 5432;

  /** Reads a Secret of the unit's namespace (from an informer cache in the operator, from the API in tools). */
  @FunctionalInterface
  public interface SecretLookup {
    Optional<Secret> find(String namespace, String name);
  }

  private PostgresTargets() {}

  public static PostgresTarget resolve(DatabaseUnit unit, SecretLookup secrets) throws UnitProblem {
    String namespace = unit.getMetadata().getNamespace();
    var postgres = unit.getSpec().postgres();
    if (postgres.external() != null) {
      return external(postgres.external(), namespace, secrets);
    }
    ManagedPostgres managed = postgres.managed();
    String name = unit.getMetadata().getName();
    String secret = managedOperatorSecret(name);
    String ca = value(secrets, namespace, new SecretKeyRef(managedTlsSecret(name), "ca.crt"));
    return new PostgresTarget(managedServiceHost(name, namespace), MANAGED_PORT, managed.database(),
        value(secrets, namespace, new SecretKeyRef(secret, CredentialsRef.USERNAME)),
        value(secrets, namespace, new SecretKeyRef(secret, CredentialsRef.PASSWORD)),
        PostgresTls.Mode.VERIFY_FULL, ca);
  }

  /**
   * Where and as whom applications reach the database: a managed instance's application role on the operator's
   * {@code target}; an external server's spec credentials, which are the target's own.
   */
  public static PostgresTarget application(DatabaseUnit unit, PostgresTarget target, SecretLookup secrets) throws UnitProblem {
    if (unit.getSpec().postgres().managed() == null) {
      return target;
    }
    String namespace = unit.getMetadata().getNamespace();
    String secret = managedApplicationSecret(unit.getMetadata().getName());
    return new PostgresTarget(target.host(), target.port(), target.database(),
        value(secrets, namespace, new SecretKeyRef(secret, CredentialsRef.USERNAME)),
        value(secrets, namespace, new SecretKeyRef(secret, CredentialsRef.PASSWORD)),
        target.sslMode(), target.caCertificatePem());
  }

  /** An external server (a unit's, or a restore test's scratch instance) with its Secrets of {@code namespace}. */
  public static PostgresTarget external(ExternalPostgres external, String namespace, SecretLookup secrets) throws UnitProblem {
    PostgresTls tls = external.tls() != null ? external.tls() : new PostgresTls(null, null);
    PostgresTls.Mode mode = tls.mode() != null ? tls.mode() : PostgresTls.Mode.VERIFY_FULL;
    String ca = tls.caSecret() != null ? value(secrets, namespace, tls.caSecret()) : null;
    CredentialsRef credentials = external.credentials();
    return new PostgresTarget(external.host(), external.port() != null ? external.port() : 5432, external.database(),
        value(secrets, namespace, new SecretKeyRef(credentials.secretName(), credentials.usernameKeyOrDefault())),
        value(secrets, namespace, new SecretKeyRef(credentials.secretName(), credentials.passwordKeyOrDefault())),
        mode, ca);
  }

  /** Service DNS name of a managed instance; its server certificate carries this name. */
  public static String managedServiceHost(String unitName, String namespace) {
    return unitName + "-postgres." + namespace + ".svc";
  }

  /** Secret (created by the operator) with the managed instance's superuser, which only its start script uses. */
  public static String managedSuperuserSecret(String unitName) {
    return unitName + "-postgres-superuser";
  }

  /** Secret (created by the operator) with the managed instance's operator role, which the operator logs in as. */
  public static String managedOperatorSecret(String unitName) {
    return unitName + "-postgres-operator";
  }

  /** Secret (created by the operator) with the managed instance's application role, which {@code <unit>-connection} carries. */
  public static String managedApplicationSecret(String unitName) {
    return unitName + "-postgres-app";
  }

  /** Secret (created by the operator) with the managed instance's server certificate and its CA. */
  public static String managedTlsSecret(String unitName) {
    return unitName + "-postgres-tls";
  }

  /** One key of a Secret, as text; a missing Secret or key is a typed problem. */
  public static String value(SecretLookup secrets, String namespace, SecretKeyRef ref) throws UnitProblem {
    Secret secret = secrets.find(namespace, ref.name()).orElseThrow(() -> new UnitProblem(EventReason.SecretNotFound,
        "Secret " + namespace + "/" + ref.name() + " does not exist"));
    if (secret.getData() != null && secret.getData().containsKey(ref.key())) {
      return new String(Base64.getDecoder().decode(secret.getData().get(ref.key())), StandardCharsets.UTF_8);
    }
    if (secret.getStringData() != null && secret.getStringData().containsKey(ref.key())) {
      return secret.getStringData().get(ref.key());
    }
    throw new UnitProblem(EventReason.SecretKeyMissing, "Secret " + namespace + "/" + ref.name() + " has no key " + ref.key());
  }
}
