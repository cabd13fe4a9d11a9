package dev.databaseunit.operator.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.managed.ManagedPostgresResources;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ConnectionSecretsTest {
  private static final PostgresTarget TARGET = new PostgresTarget("db.example.internal", 5433, "recipes", "app", "pw-1",
      PostgresTls.Mode.VERIFY_FULL, "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");

  @Test
  void withoutAPoolerTheSecretPointsAtPostgresWithItsTlsModeAndCa() {
    var data = decoded(unit(""), TARGET);
    assertThat(data).containsEntry("host", "db.example.internal").containsEntry("port", "5433")
        .containsEntry("database", "recipes").containsEntry("username", "app").containsEntry("password", "pw-1")
        .containsEntry("sslmode", "verify-full")
        .containsEntry("jdbc-url", "jdbc:postgresql://db.example.internal:5433/recipes?sslmode=verify-full")
        .containsEntry("ca.crt", TARGET.caCertificatePem());
  }

  @Test
  void aDisabledPoolerIsTheSameAsNone() {
    assertThat(decoded(unit("  pooler: {enabled: false}\n"), TARGET)).isEqualTo(decoded(unit(""), TARGET));
  }

  @Test
  void anExternalPoolerIsUsedWithItsHostAndPortAndNoServerSidePreparedStatements() {
    var data = decoded(unit("""
          pooler:
            external: {host: pgbouncer.shared, port: 6543, adminCredentials: {secretName: admin}}
        """), TARGET);
    assertThat(data).containsEntry("host", "pgbouncer.shared").containsEntry("port", "6543")
        .containsEntry("jdbc-url", "jdbc:postgresql://pgbouncer.shared:6543/recipes?sslmode=prefer&prepareThreshold=0")
        .doesNotContainKey("ca.crt");
  }

  @Test
  void aManagedPoolerIsReachedThroughItsServiceAndVerifiedWithItsOwnCa() {
    var data = decoded(unit("  pooler: {poolMode: session}\n"), TARGET, Optional.of("POOLER CA"));
    assertThat(data).containsEntry("host", "recipes-pooler.shop.svc")
        .containsEntry("port", "6432")
        .containsEntry("sslmode", "verify-full")
        .containsEntry("ca.crt", "POOLER CA")
        .containsEntry("jdbc-url", "jdbc:postgresql://recipes-pooler.shop.svc:6432/recipes?sslmode=verify-full");
  }

  @Test
  void beforeThePoolersCaIsKnownTlsIsStillRequiredAndDisabledClientTlsIsPlain() {
    assertThat(decoded(unit("  pooler: {poolMode: session}\n"), TARGET)).containsEntry("sslmode", "require").doesNotContainKey("ca.crt");
    assertThat(decoded(unit("  pooler: {poolMode: session, managed: {clientTls: {mode: disable}}}\n"), TARGET, Optional.of("CA")))
        .containsEntry("sslmode", "disable").doesNotContainKey("ca.crt");
  }

  @Test
  void theSecretIsNamedAfterAndOwnedByTheUnit() {
    var unit = unit("");
    var secret = ConnectionSecrets.desired(unit, TARGET, Optional.empty());
    assertThat(secret.getMetadata().getName()).isEqualTo("recipes-connection");
    assertThat(secret.getMetadata().getNamespace()).isEqualTo("shop");
    assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
      assertThat(owner.getUid()).isEqualTo("uid-1");
      assertThat(owner.getKind()).isEqualTo("DatabaseUnit");
      assertThat(owner.getController()).isTrue();
    });
  }

  /** Managed: the operator logs in as its own role, the application's Secret carries the application's role. */
  @Test
  void aManagedUnitsSecretCarriesTheApplicationRoleNeitherTheOperatorsNorTheSuperuser() throws Exception {
    var unit = Serialization.unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: recipes, namespace: shop, uid: uid-1}
        spec:
          postgres:
            managed: {database: recipes}
        """, DatabaseUnit.class);
    Map<String, Secret> secrets = Stream.of(ManagedPostgresResources.superuserSecret(unit), ManagedPostgresResources.operatorSecret(unit),
            ManagedPostgresResources.applicationSecret(unit),
            new SecretBuilder().withNewMetadata().withName("recipes-postgres-tls").endMetadata().withStringData(Map.of("ca.crt", "CA")).build())
        .collect(Collectors.toMap(secret -> secret.getMetadata().getName(), secret -> secret));
    PostgresTargets.SecretLookup lookup = (namespace, name) -> Optional.ofNullable(secrets.get(name));

    PostgresTarget operator = PostgresTargets.resolve(unit, lookup);
    var data = decoded(unit, PostgresTargets.application(unit, operator, lookup));

    assertThat(operator.username()).isEqualTo("databaseunit_operator");
    assertThat(operator.password()).isEqualTo(secrets.get("recipes-postgres-operator").getStringData().get("password"));
    assertThat(data).containsEntry("username", "app")
        .containsEntry("password", secrets.get("recipes-postgres-app").getStringData().get("password"))
        .containsEntry("host", "recipes-postgres.shop.svc").containsEntry("sslmode", "verify-full").containsEntry("ca.crt", "CA");
    assertThat(data.values()).doesNotContain(operator.password(),
        secrets.get("recipes-postgres-superuser").getStringData().get("password"));
    // external: the spec's credentials serve both
    assertThat(PostgresTargets.application(unit(""), TARGET, lookup)).isSameAs(TARGET);
  }

  @Test
  void anIpv6HostIsBracketedInTheUrl() {
    var v6 = new PostgresTarget("fd00::5", 5432, "recipes", "app", "pw", PostgresTls.Mode.REQUIRE, null);
    assertThat(decoded(unit(""), v6)).containsEntry("jdbc-url", "jdbc:postgresql://[fd00::5]:5432/recipes?sslmode=require")
        .doesNotContainKey("ca.crt");
  }

  private static Map<String, String> decoded(DatabaseUnit unit, PostgresTarget target) {
    return decoded(unit, target, Optional.empty());
  }

  private static Map<String, String> decoded(DatabaseUnit unit, PostgresTarget target, Optional<String> poolerCa) {
    var result = new TreeMap<String, String>();
    ConnectionSecrets.data(unit, target, poolerCa).forEach((k, v) ->
        result.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    return result;
  }

  private static DatabaseUnit unit(String extraSpec) {
    return Serialization.unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: recipes, namespace: shop, uid: uid-1}
        spec:
          postgres:
            external: {host: db.example.internal, database: recipes, credentials: {secretName: db}}
        """ + extraSpec, DatabaseUnit.class);
  }
}
