// Starts GraphiQL from the vendored bundles (globals React, ReactDOM, GraphiQL and
// GraphiQLPluginExplorer) with the example tabs the server wrote into the page as JSON.
// It lives in a file, not inline, so the page's Content-Security-Policy can forbid inline
// scripts; it asks nothing of the network but the GraphQL endpoint the page came from.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("c360-graphiql-config").textContent);
  var endpoint = window.location.href.split(/[?#]/)[0];
  var first = config.tabs[0];

  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      // A first visit opens these tabs; later visits restore the user's own tabs and
      // bring the example query back as a tab if it is gone.
      defaultTabs: config.tabs,
      query: first.query,
      variables: first.variables,
      headers: first.headers,
      defaultHeaders: first.headers,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    })
  );
})();
