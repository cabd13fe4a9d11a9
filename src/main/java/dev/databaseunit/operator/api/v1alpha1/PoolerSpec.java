package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * PgBouncer in front of the database with the seed's adaptive sizing: utilisation above scaleUpThreshold grows
 * the pool by scaleUpStep, below scaleDownThreshold shrinks it by scaleDownStep, within [minSize, maxSize].
 * The sampling interval, smoothing window and cooldown keep it from flapping; scaleUpCooldown lets it grow
 * quickly while clients queue, and serverIdleTimeout closes the server connections the load no longer uses.
 */
@ValidationRule(value = "self.minSize <= self.initialSize && self.initialSize <= self.maxSize",
    message = "pool sizes must satisfy minSize <= initialSize <= maxSize")
@ValidationRule(value = "self.scaleDownThreshold < self.scaleUpThreshold",
    message = "scaleDownThreshold must be below scaleUpThreshold")
@ValidationRule(value = "self.maxClientConnections >= self.maxSize",
    message = "maxClientConnections must be at least maxSize")
@ValidationRule(value = "!has(self.sampleInterval) || self.sampleInterval.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".sampleInterval",
    message = "sampleInterval " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
@ValidationRule(value = "!has(self.smoothingWindow) || self.smoothingWindow.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".smoothingWindow",
    message = "smoothingWindow " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
@ValidationRule(value = "!has(self.cooldown) || self.cooldown.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".cooldown",
    message = "cooldown " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
@ValidationRule(value = "!has(self.scaleUpCooldown) || self.scaleUpCooldown.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".scaleUpCooldown",
    message = "scaleUpCooldown " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
@ValidationRule(value = "!has(self.serverIdleTimeout) || self.serverIdleTimeout.matches(r\"" + ApiPatterns.POSITIVE_DURATION + "\")", fieldPath = ".serverIdleTimeout",
    message = "serverIdleTimeout " + ApiPatterns.POSITIVE_DURATION_MESSAGE)
public record PoolerSpec(
    @Default("true") @JsonPropertyDescription("Run a pooler for this unit.") Boolean enabled,
    @Default("transaction") @JsonPropertyDescription("PgBouncer pool_mode.") PoolMode poolMode,
    @Default("5") @Min(1) @Max(10000) @JsonPropertyDescription("Smallest server pool size.") Integer minSize,
    @Default("50") @Min(1) @Max(10000) @JsonPropertyDescription("Largest server pool size.") Integer maxSize,
    @Default("10") @Min(1) @Max(10000) @JsonPropertyDescription("Pool size at creation (default_pool_size).") Integer initialSize,
    @Default("0.8") @Min(value = 0, inclusive = false) @Max(1)
        @JsonPropertyDescription("Scale up when utilisation is above this fraction.") Double scaleUpThreshold,
    @Default("0.3") @Min(value = 0, inclusive = false) @Max(value = 1, inclusive = false)
        @JsonPropertyDescription("Scale down when utilisation is below this fraction.") Double scaleDownThreshold,
    @Default("5") @Min(1) @Max(1000) @JsonPropertyDescription("Connections added per scale-up step.") Integer scaleUpStep,
    @Default("2") @Min(1) @Max(1000) @JsonPropertyDescription("Connections removed per scale-down step.") Integer scaleDownStep,
    @Default("10s") @Size(max = 16) @JsonPropertyDescription("How often the admin console is sampled.")
        String sampleInterval,
    @Default("60s") @Size(max = 16)
        @JsonPropertyDescription("Window over which samples are averaged before deciding.") String smoothingWindow,
    @Default("120s") @Size(max = 16)
        @JsonPropertyDescription("Minimum time after a step before the next one (a scale-down always waits this long and for a full "
            + "smoothing window; see scaleUpCooldown for scale-ups while clients queue).") String cooldown,
    @Default("5s") @Size(max = 16)
        @JsonPropertyDescription("Minimum time after a step before the next scale-up while clients wait for a server connection: "
            + "when every sample over this long (since the last step) had clients waiting and their mean utilisation is above "
            + "scaleUpThreshold, the pool grows by scaleUpStep without waiting for cooldown and a full window; while clients "
            + "queue, the pool is also sampled this often when it is shorter than sampleInterval. A queue costs every client "
            + "latency; a pool larger than needed costs little, because PgBouncer opens server connections on demand.")
        String scaleUpCooldown,
    @Default("60s") @Size(max = 16)
        @JsonPropertyDescription("PgBouncer server_idle_timeout, kept applied by the pool loop (in external mode for the whole "
            + "PgBouncer): a server connection unused this long is closed. PgBouncer hands out the most recently used "
            + "connection first, so the ones a spike opened and the current load does not need close after this long, "
            + "instead of PgBouncer's default 600s.") String serverIdleTimeout,
    @Default("1000") @Min(1) @Max(100000) @JsonPropertyDescription("PgBouncer max_client_conn.") Integer maxClientConnections,
    @JsonPropertyDescription("Drive an existing PgBouncer through its admin console instead of running one.")
        ExternalPooler external,
    @Default("{}") @JsonPropertyDescription("The PgBouncer Deployment the operator runs when external is not set.")
        ManagedPooler managed) {

  public enum PoolMode {
    @JsonProperty("session") SESSION,
    @JsonProperty("transaction") TRANSACTION,
    @JsonProperty("statement") STATEMENT
  }

  public record ExternalPooler(
      @Required @JsonPropertyDescription("Host of the PgBouncer.") String host,
      @Default("6432") @Min(1) @Max(65535) @JsonPropertyDescription("Port of the PgBouncer.") Integer port,
      @Required @JsonPropertyDescription("Secret with an admin_users user and password.")
          CredentialsRef adminCredentials) {}

  public record ManagedPooler(
      @Default("2") @Min(1) @Max(10) @JsonPropertyDescription("PgBouncer pods behind the pooler Service. Each is sized through its own "
          + "console within one connection budget (status.pooler.replicas) and paused and resumed by maintenance drains; two by default "
          + "so the pooler survives the loss of one pod.") Integer replicas,
      @Default("ghcr.io/cloudnative-pg/pgbouncer:1.24.1") @JsonPropertyDescription("PgBouncer image. Its entrypoint is not used: the operator runs /usr/bin/pgbouncer "
          + "with its own pgbouncer.ini as uid 998, as in the CloudNativePG image; docs/managed-images.md.") String image,
      @Default("{}") @JsonPropertyDescription("TLS between applications and the PgBouncer (TLS 1.2 or newer).")
          ClientTls clientTls) {
    /** What replicas defaults to (the annotation above says the same for the API server). */
    public static final int DEFAULT_REPLICAS = 2;
  }

  /**
   * The client side of the managed PgBouncer. With require, applications must use TLS; the connection Secret then
   * says sslmode=verify-full and carries the CA, and the operator's own admin connection verifies it too.
   */
  @ValidationRule(value = "!has(self.secretName) || self.secretName.matches(r\"" + ApiPatterns.K8S_NAME + "\")", fieldPath = ".secretName",
      message = "secretName " + ApiPatterns.K8S_NAME_MESSAGE)
  public record ClientTls(
      @Default("require") @JsonPropertyDescription("PgBouncer client_tls_sslmode: disable, allow, prefer or require.")
          ClientTlsMode mode,
      @Size(max = 253)
          @JsonPropertyDescription("A kubernetes.io/tls Secret (tls.crt, tls.key, optionally ca.crt), e.g. from cert-manager; "
              + "when empty the operator issues a certificate for the pooler Service from a private CA of the unit.")
          String secretName) {}

  public enum ClientTlsMode {
    @JsonProperty("disable") DISABLE,
    @JsonProperty("allow") ALLOW,
    @JsonProperty("prefer") PREFER,
    @JsonProperty("require") REQUIRE
  }
}
