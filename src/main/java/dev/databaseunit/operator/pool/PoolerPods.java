package dev.databaseunit.operator.pool;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PgBouncer pods of a managed pooler, read from its Service's EndpointSlices (kept by Kubernetes from the pods'
 * readiness): a pure function of the slices, so the pool loop and the maintenance drain see the same pods without
 * listing pods.
 */
public final class PoolerPods {
  /** The label Kubernetes puts on every EndpointSlice of a Service. */
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  /** @param name the pod (the endpoint's targetRef), else its address */
  public record Pod(String name, String address, int port) {}

  public enum Which {
    /** Ready endpoints: the ones the Service sends clients to. */
    READY,
    /** Every endpoint that is not terminating: what may hold clients, ready or not (a PAUSE must reach them all). */
    NOT_TERMINATING,
    /** Every endpoint listed, terminating ones too (a RESUME must reach every pod that could still be paused). */
    ALL
  }

  private PoolerPods() {}

  /** The pods in the slices, by name, once each (a pod may appear in two slices while they are rewritten). */
  public static List<Pod> of(List<EndpointSlice> slices, Which which) {
    Map<String, Pod> pods = new LinkedHashMap<>();
    for (EndpointSlice slice : slices) {
      Integer port = portOf(slice);
      if (port == null || slice.getEndpoints() == null || !"IPv4".equals(slice.getAddressType()) && !"IPv6".equals(slice.getAddressType())) {
        continue;
      }
      for (Endpoint endpoint : slice.getEndpoints()) {
        if (endpoint.getAddresses() == null || endpoint.getAddresses().isEmpty() || !wanted(endpoint, which)) {
          continue;
        }
        String address = endpoint.getAddresses().getFirst();
        String name = endpoint.getTargetRef() != null && endpoint.getTargetRef().getName() != null
            ? endpoint.getTargetRef().getName() : address;
        pods.putIfAbsent(name, new Pod(name, address, port));
      }
    }
    var sorted = new ArrayList<>(pods.values());
    sorted.sort(Comparator.comparing(Pod::name));
    return List.copyOf(sorted);
  }

  private static boolean wanted(Endpoint endpoint, Which which) {
    var conditions = endpoint.getConditions();
    // Absent conditions mean ready and not terminating (the EndpointSlice API's defaults).
    boolean ready = conditions == null || conditions.getReady() == null || conditions.getReady();
    boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
    return switch (which) {
      case READY -> ready && !terminating;
      case NOT_TERMINATING -> !terminating;
      case ALL -> true;
    };
  }

  /** The slice's PgBouncer port (named pgbouncer, else its only port). */
  private static Integer portOf(EndpointSlice slice) {
    List<EndpointPort> ports = slice.getPorts() != null ? slice.getPorts() : List.of();
    for (EndpointPort port : ports) {
      if ("pgbouncer".equals(port.getName()) && port.getPort() != null) {
        return port.getPort();
      }
    }
    return ports.size() == 1 ? ports.getFirst().getPort() : null;
  }
}
