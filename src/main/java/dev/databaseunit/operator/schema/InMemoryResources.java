package dev.databaseunit.operator.schema;

import java.io.Reader;
import java.io.StringReader;
import java.util.Arrays;
import java.util.Collection;
import java.util.SortedMap;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;

/**
 * Hands Flyway the scripts from the unit's ConfigMaps straight from memory: nothing is written to disk (the
 * operator's filesystem may be read-only, and two units must never see each other's files).
 */
final class InMemoryResources implements ResourceProvider {
  private final SortedMap<String, MigrationScripts.Script> scripts;

  InMemoryResources(SortedMap<String, MigrationScripts.Script> scripts) {
    this.scripts = scripts;
  }

  /** Flyway asks for {@code <script>.conf} by name to find a script's configuration (executeInTransaction=false). */
  @Override
  public LoadableResource getResource(String name) {
    var script = scripts.get(name);
    return script == null ? null : new Resource(script);
  }

  @Override
  public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
    return scripts.values().stream()
        .filter(s -> s.name().startsWith(prefix) && Arrays.stream(suffixes).anyMatch(s.name()::endsWith))
        .<LoadableResource>map(Resource::new)
        .toList();
  }

  private static final class Resource extends LoadableResource {
    private final MigrationScripts.Script script;

    Resource(MigrationScripts.Script script) {
      this.script = script;
    }

    @Override
    public Reader read() {
      return new StringReader(script.content());
    }

    /** Shown in Flyway's messages and history as where the script came from. */
    @Override
    public String getAbsolutePath() {
      return "configmap/" + script.configMap() + "/" + script.name();
    }

    @Override
    public String getAbsolutePathOnDisk() {
      return getAbsolutePath();
    }

    @Override
    public String getFilename() {
      return script.name();
    }

    @Override
    public String getRelativePath() {
      return script.name();
    }
  }
}
