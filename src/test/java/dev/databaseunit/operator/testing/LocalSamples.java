package dev.databaseunit.operator.testing;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * samples/ for the in-process developer stack ({@link LocalStack}, scripts/demo-local.sh). The samples are written
 * for a cluster in managed mode: the operator runs PostgreSQL, PgBouncer and Redis, S3 is a Service in the cluster.
 * Here the operator runs in this JVM against the loopback services of scripts/start-services.sh, which no pod could
 * be, so each DatabaseUnit is rewritten to external mode on them (PostgreSQL with verify-full TLS, PgBouncer's admin
 * console, Redis), every S3 endpoint points at the local s3proxy, and the Secrets the samples expect are made: the
 * services' credentials, and a key-encryption key generated once per machine (kept in the stack's directory, so
 * backups of earlier runs stay readable). {@link #prepareServices} creates the databases and buckets they name.
 */
public final class LocalSamples {
  private static final String POSTGRES_SECRET = "local-postgres";
  private static final String POSTGRES_CA_SECRET = "local-postgres-ca";
  private static final String PGBOUNCER_SECRET = "local-pgbouncer-admin";
  private static final YAMLMapper YAML = new YAMLMapper();

  private final LocalServices services;
  private final List<GenericKubernetesResource> samples;
  private final Set<String> databases = new LinkedHashSet<>();
  private final Set<String> buckets = new LinkedHashSet<>();
  private final Set<String> s3Secrets = new LinkedHashSet<>();
  private final Map<String, String> keyEncryptionKeys = new LinkedHashMap<>();

  private LocalSamples(LocalServices services, List<GenericKubernetesResource> samples) {
    this.services = services;
    this.samples = samples;
  }

  /** The objects of every samples/*.yaml, in file order, rewritten for the local services. */
  public static LocalSamples load(Path dir, LocalServices services, KubernetesSerialization serialization) throws IOException {
    List<GenericKubernetesResource> objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (MappingIterator<Map<String, Object>> documents = YAML.readerFor(Map.class).readValues(file.toFile())) {
          while (documents.hasNext()) {
            Map<String, Object> document = documents.next();
            if (document != null && !document.isEmpty()) {
              objects.add(serialization.convertValue(document, GenericKubernetesResource.class));
            }
          }
        }
      }
    }
    var local = new LocalSamples(services, objects);
    objects.forEach(local::rewrite);
    return local;
  }

  /** The rewritten samples, after the Secrets they reference. */
  public List<HasMetadata> objects(Path keyDir) throws IOException {
    List<HasMetadata> all = new ArrayList<>(secrets(keyDir));
    all.addAll(samples);
    return all;
  }

  /** Creates the databases and buckets the rewritten samples name, where they do not exist yet. */
  public void prepareServices(S3Client s3) throws SQLException {
    String url = "jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort() + "/postgres";
    try (Connection c = DriverManager.getConnection(url, services.postgresUser(), services.postgresPassword());
        var exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?");
        var create = c.createStatement()) {
      for (String database : databases) {
        exists.setString(1, database);
        boolean found;
        try (var rs = exists.executeQuery()) {
          found = rs.next();
        }
        if (!found) {
          // a sample's database name matches the CRD's identifier pattern
          create.execute("CREATE DATABASE \"" + database + "\"");
        }
      }
    }
    var existing = s3.listBuckets().buckets().stream().map(b -> b.name()).toList();
    buckets.stream().filter(b -> !existing.contains(b)).forEach(b -> s3.createBucket(r -> r.bucket(b)));
  }

  @SuppressWarnings("unchecked")
  private void rewrite(GenericKubernetesResource object) {
    Map<String, Object> spec = (Map<String, Object>) object.getAdditionalProperties().get("spec");
    switch (object.getKind()) {
      case "DatabaseUnit" -> rewriteUnit(spec);
      case "BackupPolicy" -> {
        localS3((Map<String, Object>) spec.get("storage"));
        localS3((Map<String, Object>) spec.get("secondaryStorage"));
        if (spec.get("encryption") instanceof Map<?, ?> encryption
            && encryption.get("keyEncryptionKey") instanceof Map<?, ?> kek) {
          keyEncryptionKeys.put((String) kek.get("name"), (String) kek.get("key"));
        }
      }
      default -> { }
    }
  }

  @SuppressWarnings("unchecked")
  private void rewriteUnit(Map<String, Object> spec) {
    var postgres = (Map<String, Object>) spec.get("postgres");
    if (postgres.get("managed") instanceof Map<?, ?> managed) {
      String database = (String) managed.get("database");
      postgres.clear();
      postgres.put("external", Map.of("host", services.postgresHost(), "port", services.postgresPort(), "database", database,
          "credentials", Map.of("secretName", POSTGRES_SECRET),
          "tls", Map.of("mode", "verify-full", "caSecret", Map.of("name", POSTGRES_CA_SECRET, "key", "ca.crt"))));
    }
    if (postgres.get("external") instanceof Map<?, ?> external) {
      databases.add((String) external.get("database"));
    }
    if (spec.get("pooler") instanceof Map<?, ?> p && !Boolean.FALSE.equals(p.get("enabled")) && p.get("external") == null) {
      var pooler = (Map<String, Object>) p;
      pooler.remove("managed");
      pooler.put("external", Map.of("host", "127.0.0.1", "port", services.pgbouncerPort(),
          "adminCredentials", Map.of("secretName", PGBOUNCER_SECRET)));
    }
    if (spec.get("cache") instanceof Map<?, ?> c && c.get("external") == null) {
      var cache = (Map<String, Object>) c;
      cache.remove("managed");
      cache.put("external", Map.of("host", "127.0.0.1", "port", services.redisPort()));
    }
    if (spec.get("gdpr") instanceof Map<?, ?> gdpr) {
      localS3((Map<String, Object>) gdpr.get("exportStorage"));
    }
  }

  @SuppressWarnings("unchecked")
  private void localS3(Map<String, Object> storage) {
    if (storage == null) {
      return;
    }
    storage.put("endpoint", services.s3Endpoint());
    buckets.add((String) storage.get("bucket"));
    if (storage.get("credentials") instanceof Map<?, ?> credentials) {
      s3Secrets.add((String) credentials.get("secretName"));
    }
  }

  private List<Secret> secrets(Path keyDir) throws IOException {
    List<Secret> secrets = new ArrayList<>();
    secrets.add(secret(POSTGRES_SECRET, Map.of("username", services.postgresUser(), "password", services.postgresPassword())));
    secrets.add(secret(POSTGRES_CA_SECRET, Map.of("ca.crt", Files.readString(services.postgresCaFile()))));
    secrets.add(secret(PGBOUNCER_SECRET, Map.of("username", services.value("pgbouncer.adminUser"),
        "password", services.value("pgbouncer.adminPassword"))));
    for (String name : s3Secrets) {
      secrets.add(secret(name, Map.of("accessKeyId", services.s3AccessKey(), "secretAccessKey", services.s3SecretKey())));
    }
    for (var kek : keyEncryptionKeys.entrySet()) {
      secrets.add(secret(kek.getKey(), Map.of(kek.getValue(), keyEncryptionKey(keyDir.resolve(kek.getKey() + ".kek")))));
    }
    return secrets;
  }

  /** 32 random bytes, base64, made on first use and kept (owner-only) in {@code file}. */
  private static String keyEncryptionKey(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, Base64.getEncoder().encodeToString(key));
    }
    return Files.readString(file).strip();
  }

  private static Secret secret(String name, Map<String, String> data) {
    return new SecretBuilder().withNewMetadata().withName(name).endMetadata().withStringData(data).build();
  }
}
