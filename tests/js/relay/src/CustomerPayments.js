// One customer's payments on a screen that pages backward ("older" first), refetched by node id.
import { graphql } from "react-relay";

export const CustomerPaymentsFragment = graphql`
  fragment CustomerPayments_person on Person
  @refetchable(queryName: "CustomerPaymentsPaginationQuery")
  @argumentDefinitions(last: { type: "Int", defaultValue: 10 }, before: { type: "String" }) {
    id
    name
    transactions(last: $last, before: $before) @connection(key: "CustomerPayments_transactions") {
      edges {
        node {
          id
          amount
          timestamp
          to { id owner { id name } }
        }
      }
    }
  }
`;

export const CustomerPaymentsQuery = graphql`
  query CustomerPaymentsQuery($id: ID!) {
    customer(id: $id) {
      ...CustomerPayments_person
    }
  }
`;
