package dev.databaseunit.operator.databaseunit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitSpec;
import dev.databaseunit.operator.api.v1alpha1.ExternalPostgres;
import dev.databaseunit.operator.api.v1alpha1.ManagedPostgres;
import dev.databaseunit.operator.api.v1alpha1.MigrationsSpec;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import dev.databaseunit.operator.api.v1alpha1.PostgresSpec;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.events.EventReason;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReferenceCheckTest {
  private static final CredentialsRef DB = new CredentialsRef("db", "username", "password");

  private static DatabaseUnitSpec external(PostgresTls tls, PoolerSpec pooler, CacheSpec cache, MigrationsSpec migrations) {
    var postgres = new PostgresSpec(new ExternalPostgres("db.example", 5432, "app", DB, tls), null);
    return new DatabaseUnitSpec(postgres, List.of("vector"), migrations, null, pooler, cache, null, null, null);
  }

  private static PoolerSpec externalPooler() {
    var ext = new PoolerSpec.ExternalPooler("pgb", 6432, new CredentialsRef("pgb-admin", "user", "pass"));
    return new PoolerSpec(true, null, 5, 50, 10, 0.8, 0.3, 5, 2, "10s", "60s", "120s", "10s", "60s", 1000, ext, null);
  }

  private static CacheSpec externalCache() {
    var ext = new CacheSpec.ExternalRedis("redis", 6379, new CredentialsRef("redis", "username", "password"), true, null);
    return new CacheSpec(ext, null, "256mb", null, null, List.of(), null);
  }

  private static Optional<ReferenceCheck.Problem> check(DatabaseUnitSpec spec, Map<String, Set<String>> secrets, Set<String> configMaps) {
    return ReferenceCheck.firstProblem(ReferenceCheck.referencesOf(spec),
        name -> Optional.ofNullable(secrets.get(name)), configMaps::contains);
  }

  @Test
  void externalPostgresNeedsItsCredentialsSecretWithBothKeys() {
    var spec = external(null, null, null, null);
    assertThat(check(spec, Map.of(), Set.of())).get().extracting(ReferenceCheck.Problem::reason).isEqualTo(EventReason.SecretNotFound);
    assertThat(check(spec, Map.of("db", Set.of("username")), Set.of())).get()
        .satisfies(p -> {
          assertThat(p.reason()).isEqualTo(EventReason.SecretKeyMissing);
          assertThat(p.message()).isEqualTo("Secret db referenced by spec.postgres.external.credentials has no key password");
        });
    assertThat(check(spec, Map.of("db", Set.of("username", "password")), Set.of())).isEmpty();
  }

  @Test
  void aCacheCaSecretMustHoldItsKey() {
    var ext = new CacheSpec.ExternalRedis("redis", 6379, null, true, new SecretKeyRef("redis-ca", "ca.crt"));
    var spec = external(null, null, new CacheSpec(ext, null, "256mb", null, null, List.of(), null), null);
    var db = Map.entry("db", Set.of("username", "password"));
    assertThat(check(spec, Map.ofEntries(db), Set.of())).get()
        .satisfies(p -> assertThat(p.message()).isEqualTo("Secret redis-ca referenced by spec.cache.external.caSecret does not exist"));
    assertThat(check(spec, Map.ofEntries(db, Map.entry("redis-ca", Set.of("tls.crt"))), Set.of())).get()
        .extracting(ReferenceCheck.Problem::reason).isEqualTo(EventReason.SecretKeyMissing);
    assertThat(check(spec, Map.ofEntries(db, Map.entry("redis-ca", Set.of("ca.crt"))), Set.of())).isEmpty();
  }

  @Test
  void managedPostgresReferencesNothing() {
    var spec = new DatabaseUnitSpec(new PostgresSpec(null, new ManagedPostgres("app", "img", "10Gi", null)),
        null, null, null, null, null, null, null, null);
    assertThat(ReferenceCheck.referencesOf(spec)).isEmpty();
  }

  @Test
  void everyReferencedObjectIsListedInSpecOrder() {
    var tls = new PostgresTls(PostgresTls.Mode.VERIFY_FULL, new SecretKeyRef("db-ca", "ca.crt"));
    var spec = external(tls, externalPooler(), externalCache(), new MigrationsSpec(List.of("schema-v1", "schema-v2"), "public", null));
    assertThat(ReferenceCheck.referencesOf(spec)).containsExactly(
        new Reference.SecretKeys("db", List.of("username", "password"), "spec.postgres.external.credentials"),
        new Reference.SecretKeys("pgb-admin", List.of("user", "pass"), "spec.pooler.external.adminCredentials"),
        new Reference.SecretKeys("redis", List.of("username", "password"), "spec.cache.external.credentials"),
        new Reference.SecretKeys("db-ca", List.of("ca.crt"), "spec.postgres.external.tls.caSecret"),
        new Reference.ConfigMap("schema-v1", "spec.migrations.configMaps"),
        new Reference.ConfigMap("schema-v2", "spec.migrations.configMaps"));
  }

  @Test
  void reportsTheFirstProblemInSpecOrder() {
    var spec = external(null, externalPooler(), null, new MigrationsSpec(List.of("schema-v1"), "public", null));
    var allSecrets = Map.of("db", Set.of("username", "password"), "pgb-admin", Set.of("user", "pass"));
    assertThat(check(spec, Map.of("db", Set.of("username", "password")), Set.of())).get()
        .extracting(ReferenceCheck.Problem::message)
        .isEqualTo("Secret pgb-admin referenced by spec.pooler.external.adminCredentials does not exist");
    assertThat(check(spec, allSecrets, Set.of())).get()
        .satisfies(p -> assertThat(p.reason()).isEqualTo(EventReason.ConfigMapNotFound));
    assertThat(check(spec, allSecrets, Set.of("schema-v1"))).isEmpty();
  }

  @Test
  void cacheWithoutCredentialsNeedsNoSecret() {
    var openRedis = new CacheSpec(new CacheSpec.ExternalRedis("redis", 6379, null, false, null), null, "256mb", null, null, List.of(), null);
    assertThat(ReferenceCheck.referencesOf(external(null, null, openRedis, null))).hasSize(1);
  }
}
