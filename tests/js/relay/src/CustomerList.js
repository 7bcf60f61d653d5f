// A front-end's customer list: a paginated fragment on Query (forward, "load more").
import { graphql } from "react-relay";

export const CustomerListFragment = graphql`
  fragment CustomerList_query on Query
  @refetchable(queryName: "CustomerListPaginationQuery")
  @argumentDefinitions(first: { type: "Int", defaultValue: 20 }, after: { type: "String" }) {
    customers(first: $first, after: $after, orderBy: { field: TOTAL_BALANCE, direction: DESC })
    @connection(key: "CustomerList_customers") {
      totalCount
      edges {
        node {
          id
          name
          segment { tier }
        }
      }
    }
  }
`;

export const CustomerListQuery = graphql`
  query CustomerListQuery {
    ...CustomerList_query
  }
`;
