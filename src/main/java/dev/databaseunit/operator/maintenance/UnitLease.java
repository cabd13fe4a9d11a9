package dev.databaseunit.operator.maintenance;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HexFormat;
import java.util.Optional;

/**
 * One coordination.k8s.io Lease per DatabaseUnit, held for the whole of a maintenance run, so two windows targeting
 * the same unit, or two operator replicas, never run maintenance on it at once. Every write carries the Lease's
 * resourceVersion: of two instances racing for it, one gets a conflict and backs off.
 */
final class UnitLease {
  private final KubernetesClient client;
  private final Clock clock;
  private final String identity;
  private final Duration duration;

  UnitLease(KubernetesClient client, Clock clock, String identity, Duration duration) {
    this.client = client;
    this.clock = clock;
    this.identity = identity;
    this.duration = duration;
  }

  String identity() {
    return identity;
  }

  /** Takes the lease if it is free, expired or already ours; false if another live holder has it or we lost a race. */
  boolean tryAcquire(String namespace, String unit) {
    var resource = client.resources(Lease.class).inNamespace(namespace).withName(name(unit));
    ZonedDateTime now = ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    try {
      Lease existing = resource.get();
      if (existing == null) {
        client.resource(new LeaseBuilder().withNewMetadata().withName(name(unit)).withNamespace(namespace)
            .addToLabels("app.kubernetes.io/managed-by", "databaseunit-operator").endMetadata()
            .withNewSpec().withHolderIdentity(identity).withLeaseDurationSeconds((int) duration.toSeconds())
            .withAcquireTime(now).withRenewTime(now).withLeaseTransitions(0).endSpec().build()).create();
        return true;
      }
      if (liveHolder(existing).filter(holder -> !holder.identity().equals(identity)).isPresent()) {
        return false;
      }
      boolean takeover = !identity.equals(existing.getSpec().getHolderIdentity());
      var spec = existing.getSpec();
      spec.setHolderIdentity(identity);
      spec.setLeaseDurationSeconds((int) duration.toSeconds());
      spec.setRenewTime(now);
      if (takeover) {
        spec.setAcquireTime(now);
        spec.setLeaseTransitions(spec.getLeaseTransitions() == null ? 1 : spec.getLeaseTransitions() + 1);
      }
      client.resource(existing).update();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw e;
    }
  }

  /** A holder whose lease has not expired, and when it will unless renewed. */
  record Holder(String identity, Instant expiry) {}

  /** The holder of a lease that has not expired, if any. */
  Optional<Holder> liveHolder(String namespace, String unit) {
    return Optional.ofNullable(client.resources(Lease.class).inNamespace(namespace).withName(name(unit)).get())
        .flatMap(this::liveHolder);
  }

  private Optional<Holder> liveHolder(Lease lease) {
    var spec = lease.getSpec();
    if (spec == null || spec.getHolderIdentity() == null || spec.getRenewTime() == null) {
      return Optional.empty();
    }
    int seconds = spec.getLeaseDurationSeconds() == null ? (int) duration.toSeconds() : spec.getLeaseDurationSeconds();
    Instant expiry = spec.getRenewTime().toInstant().plusSeconds(seconds);
    return clock.instant().isBefore(expiry) ? Optional.of(new Holder(spec.getHolderIdentity(), expiry)) : Optional.empty();
  }

  /** Gives the lease up if we hold it, so the next run need not wait for it to expire. */
  void release(String namespace, String unit) {
    var resource = client.resources(Lease.class).inNamespace(namespace).withName(name(unit));
    try {
      Lease existing = resource.get();
      if (existing != null && identity.equals(existing.getSpec().getHolderIdentity())) {
        existing.getSpec().setHolderIdentity(null);
        existing.getSpec().setRenewTime(null);
        client.resource(existing).update();
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  /** Lease name for a unit; long unit names are shortened with a hash so the name stays within 253 characters. */
  static String name(String unit) {
    String name = "databaseunit-maintenance-" + unit;
    if (name.length() <= 253) {
      return name;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(unit.getBytes(StandardCharsets.UTF_8));
      return name.substring(0, 236) + "-" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
