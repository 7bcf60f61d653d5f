// Startup script for the local JanusGraph Server (services/up), modeled on
// janusgraph-dist scripts/empty-sample.groovy: binds the traversal source "g".
def globals = [:]

globals << [hook : [
        onStartUp: { ctx ->
            ctx.logger.info("c360: JanusGraph Server started.")
        },
        onShutDown: { ctx ->
            ctx.logger.info("c360: JanusGraph Server stopping.")
        }
] as LifeCycleHook]

globals << [g : graph.traversal()]
