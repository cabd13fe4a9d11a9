package dev.databaseunit.operator.managed;

import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfileBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;

/**
 * The restricted Pod Security Standard for every pod the operator creates (managed PostgreSQL, PgBouncer,
 * Redis): non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp and a read-only
 * root filesystem (writable paths are volumes). Applied in one place so no workload can drift from it.
 */
public final class RestrictedPodSecurity {
  private RestrictedPodSecurity() {}

  /** @param uid the user the image's server runs as (999 for the postgres and redis images) */
  public static PodSpec apply(PodSpec spec, long uid) {
    spec.setSecurityContext(new PodSecurityContextBuilder().withRunAsNonRoot(true).withRunAsUser(uid).withRunAsGroup(uid)
        .withFsGroup(uid).withSeccompProfile(new SeccompProfileBuilder().withType("RuntimeDefault").build()).build());
    spec.setAutomountServiceAccountToken(false);
    for (Container container : spec.getContainers()) {
      container.setSecurityContext(new SecurityContextBuilder().withAllowPrivilegeEscalation(false)
          .withReadOnlyRootFilesystem(true).withRunAsNonRoot(true)
          .withCapabilities(new CapabilitiesBuilder().withDrop("ALL").build()).build());
    }
    return spec;
  }
}
