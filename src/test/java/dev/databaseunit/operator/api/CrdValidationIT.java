package dev.databaseunit.operator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRDs' OpenAPI and CEL rules, checked by a real kube-apiserver: every sample is accepted, and every manifest in
 * {@code invalid-manifests/} is refused with an error that names the offending field. Manifests are sent as
 * {@link GenericKubernetesResource} so the server sees exactly the YAML, not a round trip through our records.
 */
@WithLocalServices
class CrdValidationIT {
  private static final Path SAMPLES = Path.of("samples");
  private static final Path INVALID_MANIFESTS = Path.of("src", "test", "resources", "invalid-manifests");
  private static final YAMLMapper YAML = new YAMLMapper();

  private static KubernetesClient client;
  private static String samplesNamespace;
  private static String invalidNamespace;

  @BeforeAll
  static void connect(KubeCluster cluster) {
    client = cluster.newClient();
    samplesNamespace = cluster.createNamespace(client, "crd-samples");
    invalidNamespace = cluster.createNamespace(client, "crd-invalid");
  }

  @AfterAll
  static void disconnect() {
    if (client != null) { // null when the cluster could not be started
      client.close();
    }
  }

  @Test
  void samplesCoverEveryKind() {
    assertThat(sampleFiles().flatMap(file -> load(file).stream()).map(GenericKubernetesResource::getKind))
        .contains("DatabaseUnit", "BackupPolicy", "MaintenanceWindow", "GdprRequest");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sampleFiles")
  void sampleIsAccepted(Path file) {
    for (GenericKubernetesResource manifest : load(file)) {
      assertThatNoException().as("%s %s", manifest.getKind(), manifest.getMetadata().getName())
          .isThrownBy(() -> client.resource(manifest).inNamespace(samplesNamespace).create());
      assertThat(client.resource(manifest).inNamespace(samplesNamespace).get()).isNotNull();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidManifests")
  void invalidManifestIsRejected(InvalidManifest invalid) {
    var manifest = client.resource(invalid.manifest()).inNamespace(invalidNamespace);
    assertRejected(invalid.name(), () -> manifest.create(), invalid.field(), invalid.expect());
    assertThat(manifest.get()).as("%s: a rejected manifest must not be stored", invalid).isNull();
  }

  /** Issue 19: the seed's strategy as a Kubernetes user writes it, and every other schedule in CronJob syntax. */
  @Test
  void schedulesInCronJobSyntaxAndDurationsInWeeksAreAccepted(KubeCluster cluster) {
    String namespace = cluster.createNamespace(client, "crd-cronjob");
    for (GenericKubernetesResource manifest : parse("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: BackupPolicy
        metadata: {name: seed}
        spec:
          databaseUnit: recipes
          schedules:
            - {tier: daily, cron: "0 3 * * *", retention: 30d}
            - {tier: weekly, cron: "0 3 * * 0", retention: 12w}
          restoreTest: {cron: "@monthly"}
          storage: {bucket: recipes-backups, credentials: {secretName: recipes-s3}}
          encryption: {keyEncryptionKey: {name: recipes-backup-kek, key: kek}}
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: MaintenanceWindow
        metadata: {name: weekly}
        spec: {databaseUnit: recipes, schedule: "30 2 * * SUN", duration: 1w, drainTimeout: 2d}
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: recipes}
        spec:
          postgres:
            external: {host: db.example.com, database: app, credentials: {secretName: app-db}}
          vectorIndexes:
            - {name: idx_embeddings, table: embeddings, column: embedding, dimensions: 3, analyzeSchedule: "@daily"}
        """)) {
      assertThatNoException().as(manifest.getKind()).isThrownBy(() -> client.resource(manifest).inNamespace(namespace).create());
    }
  }

  @Test
  void gdprRequestSpecIsImmutable(KubeCluster cluster) {
    String namespace = cluster.createNamespace(client, "crd-immutable");
    var request = client.resource(load(SAMPLES.resolve("gdprrequest.yaml")).getFirst()).inNamespace(namespace);
    request.create();
    // Metadata stays editable, so the rejection below is about the spec and not about updates in general.
    request.edit(r -> {
      r.getMetadata().setLabels(Map.of("ticket", "priv-1234"));
      return r;
    });

    assertRejected("subjectId change", () -> request.edit(r -> {
      spec(r).put("subjectId", "43");
      return r;
    }), "spec", "spec is immutable");
    assertThat(spec(request.get())).containsEntry("subjectId", "42");
  }

  @Test
  void aUnitsBootstrapSourceIsImmutableButMayBeRemoved(KubeCluster cluster) {
    String namespace = cluster.createNamespace(client, "crd-bootstrap");
    var unit = client.resource(parse("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: restored}
        spec:
          postgres:
            external: {host: db.example.com, database: app, credentials: {secretName: app-db}}
          bootstrap:
            fromBackup: {backupPolicy: recipes-backups, backupId: daily-20261125T030000Z-1a2b}
        """).getFirst()).inNamespace(namespace);
    unit.create();

    assertRejected("backupId change", () -> unit.edit(u -> {
      bootstrapSource(u).put("backupId", "daily-20261126T030000Z-3c4d");
      return u;
    }), "spec.bootstrap", "bootstrap is immutable");
    assertThat(bootstrapSource(unit.get())).containsEntry("backupId", "daily-20261125T030000Z-1a2b");

    unit.edit(u -> {
      spec(u).remove("bootstrap");
      return u;
    });
    assertThat(spec(unit.get())).doesNotContainKey("bootstrap");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> bootstrapSource(GenericKubernetesResource unit) {
    return (Map<String, Object>) ((Map<String, Object>) spec(unit).get("bootstrap")).get("fromBackup");
  }

  /** Runs a write the API server must refuse as invalid (422) with {@code expect} reported at {@code field}. */
  private static void assertRejected(String what, ThrowingCallable write, String field, String expect) {
    var error = catchThrowableOfType(KubernetesClientException.class, write);
    assertThat(error).as("%s was accepted, but expected a rejection at %s: %s", what, field, expect).isNotNull();
    assertThat(error.getCode()).as("%s: %s", what, error.getMessage()).isEqualTo(422);
    assertThat(error.getMessage()).as(what).contains(field + ": ").contains(expect);
    // The same cause must carry both, so an unrelated error elsewhere cannot satisfy the check.
    assertThat(error.getStatus().getDetails().getCauses()).as("%s: %s", what, error.getMessage()).anySatisfy(cause -> {
      assertThat(cause.getField()).isEqualTo(field);
      assertThat(cause.getMessage()).contains(expect);
    });
  }

  /** One file of invalid-manifests/: a manifest after {@code # field:} and {@code # expect:} header lines. */
  record InvalidManifest(String name, String field, String expect, GenericKubernetesResource manifest) {
    static InvalidManifest read(Path file) {
      String text = readString(file);
      String name = file.getFileName().toString().replaceFirst("\\.yaml$", "");
      return new InvalidManifest(name, header(text, "field", file), header(text, "expect", file), parse(text).getFirst());
    }

    private static String header(String text, String key, Path file) {
      return text.lines().filter(line -> line.startsWith("# " + key + ": ")).findFirst()
          .map(line -> line.substring(key.length() + 4).strip())
          .orElseThrow(() -> new IllegalStateException(file + " lacks a '# " + key + ": ' line"));
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Path> sampleFiles() {
    return yamlFiles(SAMPLES);
  }

  static Stream<InvalidManifest> invalidManifests() {
    return yamlFiles(INVALID_MANIFESTS).map(InvalidManifest::read);
  }

  private static Stream<Path> yamlFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<GenericKubernetesResource> load(Path file) {
    return parse(readString(file));
  }

  private static List<GenericKubernetesResource> parse(String yaml) {
    try (var documents = YAML.readerFor(GenericKubernetesResource.class).<GenericKubernetesResource>readValues(yaml)) {
      return documents.readAll();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource resource) {
    return (Map<String, Object>) resource.getAdditionalProperties().get("spec");
  }
}
