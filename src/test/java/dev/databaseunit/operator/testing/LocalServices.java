package dev.databaseunit.operator.testing;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Coordinates of the local services started by {@code scripts/start-services.sh}, read from the properties
 * file it writes. Tests never start these servers themselves and never skip when they are missing: a missing
 * service is a broken environment, reported with the command that fixes it.
 */
public record LocalServices(Properties properties) {

  private static volatile LocalServices instance;

  public static LocalServices get() {
    if (instance == null) {
      synchronized (LocalServices.class) {
        if (instance == null) {
          instance = new LocalServices(load(servicesFile()));
        }
      }
    }
    return instance;
  }

  static Path servicesFile() {
    return stateDir().resolve("services.properties");
  }

  /** Where the scripts keep what they install and build (scripts/lib.sh STATE_DIR). */
  public static Path stateDir() {
    String stateDir = System.getenv("DU_STATE_DIR");
    return stateDir != null ? Path.of(stateDir) : Path.of(System.getProperty("user.home"), ".cache", "databaseunit");
  }

  /** The Helm CLI built by scripts/build-tools.sh. */
  public static Path helm() {
    return built("helm", "scripts/build-tools.sh");
  }

  /** kstatus-check (tools/kstatus: cli-utils' kstatus on one object's JSON) built by scripts/build-kstatus.sh. */
  public static Path kstatusCheck() {
    return built("kstatus-check", "scripts/build-kstatus.sh");
  }

  /**
   * kubectl-dbu (tools/kubectl-dbu: the kubectl plugin) as scripts/build-plugin.sh builds it for tests: its clock is the
   * wall clock shifted by the environment's DBU_TEST_CLOCK_OFFSET, the test operator's {@link TestClock#offset()}.
   */
  public static Path kubectlDbuTestClock() {
    return built("kubectl-dbu-testclock", "scripts/build-plugin.sh");
  }

  private static Path built(String tool, String script) {
    Path binary = stateDir().resolve("bin").resolve(tool);
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException(binary + " is missing: run " + script + ", or scripts/test.sh");
    }
    return binary;
  }

  private static Properties load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          "Local services are not set up (" + file + " is missing): run scripts/start-services.sh, or scripts/test.sh");
    }
    var props = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      props.load(reader);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read " + file, e);
    }
    return props;
  }

  public String value(String key) {
    String v = properties.getProperty(key);
    if (v == null) {
      throw new IllegalStateException("services.properties lacks " + key + ": re-run scripts/start-services.sh");
    }
    return v;
  }

  public int port(String key) {
    return Integer.parseInt(value(key));
  }

  public String postgresHost() {
    return value("postgres.host");
  }

  public int postgresPort() {
    return port("postgres.port");
  }

  public String postgresUser() {
    return value("postgres.user");
  }

  public String postgresPassword() {
    return value("postgres.password");
  }

  /** The CA (PEM file) that signed the local PostgreSQL's certificate for localhost and 127.0.0.1. */
  public Path postgresCaFile() {
    return Path.of(value("postgres.caFile"));
  }

  public int pgbouncerPort() {
    return port("pgbouncer.port");
  }

  public int redisPort() {
    return port("redis.port");
  }

  public String s3Endpoint() {
    return value("s3.endpoint");
  }

  public String s3AccessKey() {
    return value("s3.accessKey");
  }

  public String s3SecretKey() {
    return value("s3.secretKey");
  }

  /** A client of the local s3proxy. */
  public S3Client s3Client() {
    return S3Client.builder()
        .endpointOverride(URI.create(s3Endpoint()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        // S3-compatible servers (s3proxy, older MinIO) reject the SDK's default trailing checksums.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3AccessKey(), s3SecretKey())))
        .build();
  }

  public String kubeVersion() {
    return value("kube.version");
  }

  /** The kubectl of the test control plane's version (scripts/build-kube-binaries.sh). */
  public Path kubectl() {
    return Path.of(System.getProperty("user.home"), ".kubeapitest", "k8s", kubeVersion() + "-linux-amd64", "kubectl");
  }
}
