package gateway.ops;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Runs Neo4j Community embedded with Bolt on one port and one data directory.
 *
 * <p>Usage: {@code Neo4jLauncher --data DIR --port N [--host 127.0.0.1] [--page-cache 512m]}.
 * Heap is the JVM's ({@code -Xmx}). Prints exactly one line to stdout,
 * {@code NEO4J_READY bolt://HOST:PORT}, once the default database answers; everything else goes to
 * stderr or Neo4j's own log files under the data directory. SIGTERM, or EOF on stdin (the parent
 * process went away), shuts the database down cleanly.
 */
public final class Neo4jLauncher {
  private Neo4jLauncher() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    Path data = Path.of(require(opts, "data")).toAbsolutePath();
    int port = Integer.parseInt(require(opts, "port"));
    String host = opts.getOrDefault("host", "127.0.0.1");
    long pageCache = parseBytes(opts.getOrDefault("page-cache", "512m"));

    System.err.printf("neo4j: starting in %s, bolt on %s:%d, page cache %d MiB%n", data, host, port, pageCache >> 20);
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(data)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
        .setConfig(HttpConnector.enabled, false)
        // Loopback only and launched by the gateway itself: the credentials live with whoever set NEO4J_URI.
        .setConfig(GraphDatabaseSettings.auth_enabled, false)
        .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
        .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("neo4j: shutting down");
      dbms.shutdown();
      stopped.countDown();
    }, "neo4j-shutdown"));

    GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
    if (!db.isAvailable(120_000)) {
      System.err.println("neo4j: the default database did not become available within 120 s");
      System.exit(1);
    }
    System.out.printf("NEO4J_READY bolt://%s:%d%n", host, port);
    System.out.flush();
    exitWhenParentGoes();
    stopped.await();
  }

  /**
   * The gateway holds our stdin open; when it dies, even by SIGKILL, stdin reaches EOF and we shut
   * down instead of living on as an orphan that keeps the store locked.
   */
  private static void exitWhenParentGoes() {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // keep reading until EOF
        }
      } catch (java.io.IOException ignored) {
        // a broken pipe means the same thing as EOF
      }
      System.exit(0);
    }, "parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got: " + String.join(" ", args));
      }
      opts.put(args[i].substring(2), args[++i]);
    }
    return opts;
  }

  private static String require(Map<String, String> opts, String name) {
    String value = opts.get(name);
    if (value == null) {
      throw new IllegalArgumentException("missing --" + name);
    }
    return value;
  }

  /** "512m", "2g", "1048576" → bytes. */
  static long parseBytes(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    char last = t.charAt(t.length() - 1);
    if (last == 'k' || last == 'm' || last == 'g') {
      unit = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
      t = t.substring(0, t.length() - 1);
    }
    return Long.parseLong(t) * unit;
  }
}
