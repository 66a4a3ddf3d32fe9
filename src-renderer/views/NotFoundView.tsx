import { PageHeading } from '../components/PageHeading';
import { hrefFor } from '../router/routes';

export function NotFoundView({ path }: { path: string }) {
  return (
    <>
      <PageHeading>Nothing here</PageHeading>
      <p>
        There is no page at <code>{path}</code>. Go to the <a href={hrefFor({ name: 'devices' })}>device list</a> or the{' '}
        <a href={hrefFor({ name: 'cases' })}>cases</a>.
      </p>
    </>
  );
}
