package dev.databaseunit.operator.managed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

/** The managed PostgreSQL container: our own start script and probes, nothing from the image but its binaries. */
class ManagedPostgresResourcesTest {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /** A unit with a managed PostgreSQL and nothing else, database "orders". */
  static DatabaseUnit unit() {
    return JSON.unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: shop, namespace: apps, uid: u-1}
        spec:
          postgres:
            managed: {database: orders}
        """, DatabaseUnit.class);
  }

  private static Container container() {
    return ManagedPostgresResources.statefulSet(unit()).getSpec().getTemplate().getSpec().getContainers().getFirst();
  }

  @Test
  void theContainerRunsOurStartScriptNotTheImagesEntrypoint() {
    Container postgres = container();

    assertThat(postgres.getCommand()).containsExactly("sh", "-c", ManagedPostgresResources.START_SCRIPT, "postgres");
    assertThat(ManagedPostgresResources.START_SCRIPT)
        .contains("initdb ", "--pwfile=", "hostssl all", "scram-sha-256", "exec postgres -D \"$PGDATA\" \"$@\"")
        .doesNotContain("docker-entrypoint")
        .doesNotContainPattern("(?m)^#");
    // every setting the server needs is on its command line, nothing is left to the image's postgresql.conf
    assertThat(postgres.getArgs()).containsSubsequence("-c", "listen_addresses=*")
        .containsSubsequence("-c", "unix_socket_directories=/var/run/postgresql")
        .containsSubsequence("-c", "ssl=on").containsSubsequence("-c", "ssl_min_protocol_version=TLSv1.2");
  }

  @Test
  void thePasswordsComeFromTheSecretsAndTheProbesNeedNone() {
    Container postgres = container();

    assertThat(postgres.getEnv()).extracting(EnvVar::getName).containsExactly("POSTGRES_USER", "POSTGRES_PASSWORD",
        "OPERATOR_USER", "OPERATOR_PASSWORD", "APP_USER", "APP_PASSWORD", "POSTGRES_DB", "PGDATA");
    assertThat(postgres.getEnv()).filteredOn(e -> !e.getName().startsWith("P")).allSatisfy(e -> assertThat(e.getValue()).isNull());
    assertThat(postgres.getEnv()).filteredOn(e -> e.getValueFrom() != null)
        .extracting(e -> e.getName() + "=" + e.getValueFrom().getSecretKeyRef().getName() + "/" + e.getValueFrom().getSecretKeyRef().getKey())
        .containsExactly("POSTGRES_USER=shop-postgres-superuser/username", "POSTGRES_PASSWORD=shop-postgres-superuser/password",
            "OPERATOR_USER=shop-postgres-operator/username", "OPERATOR_PASSWORD=shop-postgres-operator/password",
            "APP_USER=shop-postgres-app/username", "APP_PASSWORD=shop-postgres-app/password");
    assertThat(postgres.getEnv().get(6).getValue()).isEqualTo("orders");
    assertThat(ManagedPostgresResources.START_SCRIPT).contains("unset POSTGRES_PASSWORD");

    var onTheSocket = java.util.List.of("pg_isready", "-q", "-h", "/var/run/postgresql", "-p", "5432");
    assertThat(postgres.getStartupProbe().getExec().getCommand()).isEqualTo(onTheSocket);
    assertThat(postgres.getReadinessProbe().getExec().getCommand()).isEqualTo(onTheSocket);
    assertThat(postgres.getLivenessProbe().getTcpSocket().getPort().getStrVal()).isEqualTo("postgres");
  }

  @Test
  void eachRoleHasItsOwnSecretAndOnlyTheStartScriptHasTheSuperuser() {
    var unit = unit();
    var superuser = ManagedPostgresResources.superuserSecret(unit);
    var operator = ManagedPostgresResources.operatorSecret(unit);
    var application = ManagedPostgresResources.applicationSecret(unit);

    assertThat(java.util.List.of(superuser, operator, application)).extracting(s -> s.getMetadata().getName())
        .containsExactly("shop-postgres-superuser", "shop-postgres-operator", "shop-postgres-app");
    assertThat(java.util.List.of(superuser, operator, application)).extracting(s -> s.getStringData().get("username"))
        .containsExactly("postgres", "databaseunit_operator", "app");
    assertThat(java.util.List.of(superuser, operator, application)).extracting(s -> s.getStringData().get("password"))
        .doesNotHaveDuplicates().allSatisfy(p -> assertThat(p).hasSizeGreaterThanOrEqualTo(32));
  }

  @Test
  void theScratchDirectoryWithThePasswordFileIsInMemory() {
    var pod = ManagedPostgresResources.statefulSet(unit()).getSpec().getTemplate().getSpec();

    assertThat(pod.getContainers().getFirst().getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo("tmp");
      assertThat(m.getMountPath()).isEqualTo("/tmp");
    });
    assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("tmp")).singleElement()
        .satisfies(v -> assertThat(v.getEmptyDir().getMedium()).isEqualTo("Memory"));
  }
}
