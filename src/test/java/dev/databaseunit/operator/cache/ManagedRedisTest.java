package dev.databaseunit.operator.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

class ManagedRedisTest {

  private static DatabaseUnit unit(CacheSpec.ManagedRedis managed) {
    var unit = new DatabaseUnit();
    unit.setMetadata(new ObjectMetaBuilder().withName("recipes").withNamespace("shop").withUid("u-1").build());
    unit.setSpec(new DatabaseUnitSpec(null, null, null, null, null,
        new CacheSpec(null, managed, "128mb", CacheSpec.EvictionPolicy.VOLATILE_LFU, null, null, null), null, null, null));
    return unit;
  }

  @Test
  void theStatefulSetRunsThePolicyAndTakesThePasswordFromTheSecret() {
    var unit = unit(new CacheSpec.ManagedRedis("redis:7.4-alpine", "5Gi"));
    var policy = EffectiveCachePolicy.of("shop", "recipes", unit.getSpec().cache());
    var secret = ManagedRedis.newCredentials(unit);
    var sts = ManagedRedis.statefulSet(unit, policy);
    var container = sts.getSpec().getTemplate().getSpec().getContainers().getFirst();

    // redis-server as the command: the image's entrypoint script does not run
    assertThat(container.getCommand()).containsExactly("redis-server");
    assertThat(container.getArgs()).containsSubsequence("--requirepass", "$(REDIS_PASSWORD)")
        .containsSubsequence("--maxmemory", Long.toString(128L << 20)).containsSubsequence("--maxmemory-policy", "volatile-lfu");
    assertThat(container.getEnv().getFirst().getValueFrom().getSecretKeyRef().getName()).isEqualTo("recipes-redis-credentials");
    assertThat(Serialization.asYaml(sts)).doesNotContain(secret.getStringData().get("password"));
    assertThat(sts.getSpec().getVolumeClaimTemplates().getFirst().getSpec().getResources().getRequests().get("storage").toString())
        .isEqualTo("5Gi");
    assertThat(sts.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getUid()).isEqualTo("u-1");
      assertThat(o.getController()).isTrue();
    });
    assertThat(ManagedRedis.service(unit).getSpec().getSelector()).isEqualTo(sts.getSpec().getSelector().getMatchLabels());
    assertThat(ManagedRedis.serviceHost("recipes", "shop")).isEqualTo("recipes-redis.shop.svc");
  }

  @Test
  void defaultsAndFreshPasswords() {
    var unit = unit(null);
    var sts = ManagedRedis.statefulSet(unit, EffectiveCachePolicy.of("shop", "recipes", unit.getSpec().cache()));

    assertThat(sts.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()).isEqualTo("redis:7.4-alpine");
    String a = ManagedRedis.newCredentials(unit).getStringData().get("password");
    String b = ManagedRedis.newCredentials(unit).getStringData().get("password");
    assertThat(a).hasSize(32).isNotEqualTo(b);
  }
}
