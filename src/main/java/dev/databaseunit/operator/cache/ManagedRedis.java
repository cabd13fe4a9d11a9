package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.common.OwnedObjects;
import dev.databaseunit.operator.managed.RestrictedPodSecurity;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The Redis the operator runs for a unit without spec.cache.external: a one-replica StatefulSet with a data
 * volume, its Service and a Secret with a generated password, all owned by the unit. Pure builders; the
 * capability applies them. The password reaches redis-server through an environment variable from the Secret,
 * never through the pod spec.
 */
final class ManagedRedis {
  static final int PORT = 6379;
  /** The redis user of the official image. */
  private static final long REDIS_UID = 999;
  private static final SecureRandom RANDOM = new SecureRandom();

  private ManagedRedis() {}

  static String name(String unitName) {
    return unitName + "-redis";
  }

  static String serviceHost(String unitName, String namespace) {
    return name(unitName) + "." + namespace + ".svc";
  }

  static String credentialsSecret(String unitName) {
    return unitName + "-redis-credentials";
  }

  /** A new Secret with user "default" and a random password; created once and never rewritten. */
  static Secret newCredentials(DatabaseUnit unit) {
    byte[] random = new byte[24];
    RANDOM.nextBytes(random);
    return new SecretBuilder().withMetadata(metadata(unit, credentialsSecret(unit.getMetadata().getName())))
        .withStringData(Map.of(CredentialsRef.USERNAME, "default", CredentialsRef.PASSWORD, Base64.getUrlEncoder().withoutPadding().encodeToString(random)))
        .build();
  }

  static Service service(DatabaseUnit unit) {
    return new ServiceBuilder().withMetadata(metadata(unit, name(unit.getMetadata().getName())))
        .withNewSpec().withSelector(selector(unit))
        .addNewPort().withName("redis").withPort(PORT).withTargetPort(new IntOrString("redis")).endPort()
        .endSpec().build();
  }

  /**
   * maxmemory and maxmemory-policy are also on the command line, so a restarted pod starts with them; the
   * capability still checks them (CONFIG GET) like for any Redis. The container may use twice maxmemory
   * (fork for persistence, fragmentation).
   */
  static StatefulSet statefulSet(DatabaseUnit unit, EffectiveCachePolicy policy) {
    CacheSpec.ManagedRedis managed = unit.getSpec().cache().managed();
    String image = managed != null && managed.image() != null ? managed.image() : "redis:7.4-alpine";
    String storage = managed != null && managed.storageSize() != null ? managed.storageSize() : "1Gi";
    String unitName = unit.getMetadata().getName();
    StatefulSet statefulSet = new StatefulSetBuilder().withMetadata(metadata(unit, name(unitName)))
        .withNewSpec().withReplicas(1).withServiceName(name(unitName))
        .withNewSelector().withMatchLabels(selector(unit)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(selector(unit)).endMetadata()
        .withNewSpec()
        .addNewContainer().withName("redis").withImage(image)
        // redis-server itself, found on the image's PATH: no entrypoint script of the image runs.
        .withCommand("redis-server")
        .withArgs(List.of("--requirepass", "$(REDIS_PASSWORD)", "--dir", "/data", "--appendonly", "yes",
            "--maxmemory", Long.toString(policy.maxMemoryBytes()), "--maxmemory-policy", policy.evictionPolicy()))
        .addNewEnv().withName("REDIS_PASSWORD").withNewValueFrom().withNewSecretKeyRef(CredentialsRef.PASSWORD, credentialsSecret(unitName), false)
        .endValueFrom().endEnv()
        .addNewPort().withName("redis").withContainerPort(PORT).endPort()
        .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString("redis")).endTcpSocket().withPeriodSeconds(5).endReadinessProbe()
        .withNewResources()
        .addToRequests("memory", new Quantity(Long.toString(policy.maxMemoryBytes())))
        .addToLimits("memory", new Quantity(Long.toString(2 * policy.maxMemoryBytes())))
        .endResources()
        .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount()
        .endContainer()
        .endSpec().endTemplate()
        .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata()
        .withNewSpec().withAccessModes("ReadWriteOnce").withNewResources().addToRequests("storage", new Quantity(storage)).endResources()
        .endSpec().endVolumeClaimTemplate()
        .endSpec().build();
    // Redis writes only to /data (its volume), so the restricted profile's read-only root filesystem fits.
    RestrictedPodSecurity.apply(statefulSet.getSpec().getTemplate().getSpec(), REDIS_UID);
    return statefulSet;
  }

  private static Map<String, String> selector(DatabaseUnit unit) {
    return Map.of("app.kubernetes.io/name", "redis", "app.kubernetes.io/instance", unit.getMetadata().getName());
  }

  /** Labels and the controller owner reference shared by every object the operator makes for a unit's cache. */
  static ObjectMeta metadata(HasMetadata unit, String name) {
    return OwnedObjects.metadata(unit, name, "redis");
  }

}
