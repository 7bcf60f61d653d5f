"""The operations GraphiQL opens with: one tab per kind of user, each ready to run.

A new user learns the API fastest from a query that works on the data in front of them, so
the tabs use ids from the demo bank that ``c360 serve`` creates (seed 42), with the ids in the
Variables pane to edit. Every operation is run against the real app by a test, so an example
that stops matching the schema fails the build instead of greeting an analyst with an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

EXPLAIN_HEADERS = {"X-C360-Explain": "1"}


@dataclass(frozen=True)
class ExampleTab:
    """One GraphiQL tab: a document of named operations and the variables they share."""

    query: str
    variables: dict[str, object] = field(default_factory=dict)

    def as_graphiql_tab(self) -> dict[str, str]:
        """The shape GraphiQL's ``defaultTabs`` wants: editor texts, headers included."""
        return {
            "query": self.query,
            "variables": json.dumps(self.variables, indent=2) if self.variables else "",
            "headers": json.dumps(EXPLAIN_HEADERS, indent=2),
        }


EXAMPLE_QUERY = """# Customer 360: customers, their segment, risk and recommendations (each with the
# rule that fired and its figures), their accounts, each account's latest payments and
# who received them. The X-C360-Explain header (see Headers below) makes the response
# list every backend call in extensions.explain: one per selection level.
# More examples, for front-end screens, analysts and integrations, are in the other tabs.
query CustomerScreen {
  customers(first: 5, orderBy: {field: TOTAL_BALANCE, direction: DESC}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id name ssn dateOfBirth
        segment { tier reasons { rule detail } }
        risk { score level reasons { rule detail } }
        recommendations { product reason { rule detail } }
        relatedCustomers(first: 3) { person { name } via evidence }
        addresses { street city state zipCode }
        phones { number type }
        accounts {
          id type balance status
          sent(first: 3) {
            edges { node { id amount timestamp to { id owner { name } } } }
          }
        }
      }
    }
  }
}
"""

FRONT_END = ExampleTab(
    query="""# Front-end: what a customer-service screen loads for one customer, and the payments
# list it pages through. Edit the id in Variables; to page, put pageInfo.endCursor into
# "after". With two operations here, the run button asks which one (Ctrl-Enter runs the
# one under the cursor).
query CustomerProfile($id: ID!) {
  customer(id: $id) {
    id name firstName lastName ssn dateOfBirth
    addresses { street city state zipCode residents { id name } }
    phones { number type owners { id name } }
    accounts { id type balance status }
    segment { tier }
    recommendations { product reason { detail } }
  }
}

query CustomerPayments($id: ID!, $first: Int!, $after: String, $filter: TransactionFilter) {
  customer(id: $id) {
    name
    transactions(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node { id amount timestamp from { id type } to { id owner { id name } } }
      }
    }
  }
}
""",
    variables={
        "id": "P0000993",
        "first": 10,
        "after": None,
        "filter": {"since": "2025-01-01T00:00:00Z", "minAmount": "500"},
    },
)

ANALYST = ExampleTab(
    query="""# Analysts: the bank at a glance, then the customers behind a number (filters use the
# same rules as the fields: every tier and risk level says which rule put it there), then
# the relationships worth a look. Money is a decimal string; change the filter in Variables.
query PortfolioOverview {
  portfolio {
    customers accounts totalBalance avgBalancePerCustomer
    transactions totalVolume avgTransaction
    segments { tier customers totalBalance }
    riskLevels { level customers }
    crossSellOpportunities sharedAddresses sharedPhones sharedCounterparties
  }
}

query RiskReview($filter: CustomerFilter!, $first: Int!) {
  customers(first: $first, filter: $filter, orderBy: {field: TOTAL_BALANCE, direction: DESC}) {
    totalCount
    edges {
      node {
        id name
        metrics { numAccounts totalBalance numTransactions totalVolume avgTransaction }
        segment { tier reasons { rule detail } }
        risk { score level reasons { rule detail } }
        recommendations { product reason { rule detail } }
      }
    }
  }
}

query SharedRelationships {
  sharedAddresses(first: 5) {
    totalCount
    edges { node { residentCount address { street city state } residents { id name } } }
  }
  sharedPhones(first: 5) {
    totalCount
    edges { node { ownerCount phone { number type } owners { id name } } }
  }
  topCounterparties(first: 5) { account { id owner { name } } transactionCount volume distinctSenders }
}
""",
    variables={"filter": {"riskLevel": "HIGH", "minTotalBalance": "50000"}, "first": 10},
)

INTEGRATION = ExampleTab(
    query="""# Integration services: the graph around a customer as nodes and edges (one batched
# backend call per hop, at most "limit" vertices), and the shortest ways two customers are
# connected (transactions are vertices on the way).
query Neighborhood($id: ID!, $depth: Int!, $limit: Int!, $edgeLabels: [EdgeLabel!]) {
  neighborhood(id: $id, depth: $depth, limit: $limit, edgeLabels: $edgeLabels) {
    truncated
    nodes { id label level properties }
    edges { source target label }
  }
}

query ShortestPath($from: ID!, $to: ID!, $maxDepth: Int!) {
  path(from: $from, to: $to, maxDepth: $maxDepth) {
    found length pathCount truncated
    paths { id label edge direction }
  }
}
""",
    variables={
        "id": "P0000993",
        "depth": 2,
        "limit": 50,
        "edgeLabels": ["OWNS", "LIVES_AT", "HAS_PHONE"],
        "from": "P0000993",
        "to": "P0001955",
        "maxDepth": 4,
    },
)

COMPLIANCE = ExampleTab(
    query="""# Compliance officers (the auditor role): who read this customer's personal data, which
# fields, masked or in clear, for what purpose (one event per request and customer, newest
# first); and everything one principal read. Run a query in another tab first to see it here.
query AuditTrail($customerId: ID!, $first: Int!) {
  auditTrail(customerId: $customerId, first: $first) {
    edges { node { occurredAt principal roles purpose fieldsClear fieldsMasked outcome operationName requestId } }
    pageInfo { hasNextPage endCursor }
  }
}

query AccessLog($principal: String!, $first: Int!) {
  accessLog(principal: $principal, first: $first) {
    edges { node { occurredAt customerId fieldsClear fieldsMasked outcome } }
  }
}
""",
    variables={"customerId": "P0000993", "first": 20, "principal": "local-developer"},
)

# The first tab is the one GraphiQL shows on opening: the example query, unchanged in spirit.
EXAMPLE_TABS: tuple[ExampleTab, ...] = (ExampleTab(EXAMPLE_QUERY), FRONT_END, ANALYST, INTEGRATION, COMPLIANCE)
