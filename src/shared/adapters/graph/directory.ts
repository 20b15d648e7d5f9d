import type {
  ObservedAppRoleAssignment,
  ObservedApplication,
  ObservedPermissionGrant,
  ObservedServicePrincipal,
} from '../../domain';
import type { GraphApi } from './client';
import { GraphRequestError } from './errors';

export interface GraphServicePrincipalInfo {
  id: string;
  appId: string;
  appRoles: { id: string; value: string }[];
  oauth2PermissionScopes: { id: string; value: string }[];
}

export interface CreatedPassword {
  keyId: string;
  /** Returned once by Graph; goes straight to Key Vault and nowhere else. */
  secretText: string;
  endDateTime: string;
}

export interface PermissionGrant extends ObservedPermissionGrant {
  id: string;
}

interface Collection<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

const key = (value: string): string => `'${encodeURIComponent(value.replace(/'/g, "''"))}'`;
const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/**
 * The Graph operations the provisioning steps need, each idempotent or paired with a read, in one tenant.
 */
export class GraphDirectory {
  #graphSp: Promise<GraphServicePrincipalInfo> | undefined;

  constructor(readonly api: GraphApi) {}

  /** `PATCH /applications(uniqueName=…)` with `Prefer: create-if-missing`: 201 created, 204 updated. */
  async upsertApplication(uniqueName: string, body: object): Promise<{ created: boolean; app: ObservedApplication }> {
    const path = `/applications(uniqueName=${key(uniqueName)})`;
    const res = await this.api.send<ObservedApplication>({
      method: 'PATCH',
      path,
      body,
      headers: { Prefer: 'create-if-missing' },
    });
    if (res.status === 201 && res.body?.id) return { created: true, app: res.body };
    return { created: false, app: await this.requireApplication(uniqueName) };
  }

  findApplication(uniqueName: string): Promise<ObservedApplication | undefined> {
    return this.#find<ObservedApplication>(`/applications(uniqueName=${key(uniqueName)})`);
  }

  /** Reads an application this service just wrote: a 404 is replication lag and is retried. */
  async requireApplication(uniqueName: string): Promise<ObservedApplication> {
    const res = await this.api.send<ObservedApplication>({
      method: 'GET',
      path: `/applications(uniqueName=${key(uniqueName)})`,
      expectExisting: true,
    });
    return res.body;
  }

  getApplicationByAppId(appId: string): Promise<ObservedApplication | undefined> {
    return this.#find<ObservedApplication>(`/applications(appId=${key(appId)})`);
  }

  /** Reads an application by object id (a 404 is retried as replication lag). */
  async requireApplicationById(objectId: string): Promise<ObservedApplication> {
    const res = await this.api.send<ObservedApplication>({
      method: 'GET',
      path: `/applications/${objectId}`,
      expectExisting: true,
    });
    return res.body;
  }

  findApplicationById(objectId: string): Promise<ObservedApplication | undefined> {
    return this.#find<ObservedApplication>(`/applications/${objectId}`);
  }

  /** Deletes an application (Entra keeps it 30 days in deleted items); one already gone counts as deleted. */
  async deleteApplication(objectId: string): Promise<void> {
    await this.#delete(`/applications/${objectId}`);
  }

  async deletePermissionGrant(id: string): Promise<void> {
    await this.#delete(`/oauth2PermissionGrants/${id}`);
  }

  async deleteAppRoleAssignment(servicePrincipalId: string, id: string): Promise<void> {
    await this.#delete(`/servicePrincipals/${servicePrincipalId}/appRoleAssignments/${id}`);
  }

  async #delete(path: string): Promise<void> {
    try {
      await this.api.send({ method: 'DELETE', path });
    } catch (err) {
      if (err instanceof GraphRequestError && err.kind === 'notFound') return;
      throw err;
    }
  }

  async patchApplication(objectId: string, body: object): Promise<void> {
    await this.api.send({ method: 'PATCH', path: `/applications/${objectId}`, body, expectExisting: true });
  }

  async addPassword(objectId: string, body: object): Promise<CreatedPassword> {
    const res = await this.api.send<CreatedPassword>({
      method: 'POST',
      path: `/applications/${objectId}/addPassword`,
      body,
      expectExisting: true,
    });
    return { keyId: res.body.keyId, secretText: res.body.secretText, endDateTime: res.body.endDateTime };
  }

  /** Removes a credential; one that is already gone counts as removed. */
  async removePassword(objectId: string, keyId: string): Promise<void> {
    try {
      await this.api.send({ method: 'POST', path: `/applications/${objectId}/removePassword`, body: { keyId } });
    } catch (err) {
      if (
        err instanceof GraphRequestError &&
        (err.kind === 'notFound' || /No password credential/i.test(err.message))
      ) {
        return;
      }
      throw err;
    }
  }

  /** `PATCH /servicePrincipals(appId=…)` with `Prefer: create-if-missing`. */
  async upsertServicePrincipal(appId: string, body: object = {}): Promise<ObservedServicePrincipal> {
    const path = `/servicePrincipals(appId=${key(appId)})`;
    const res = await this.api.send<ObservedServicePrincipal>({
      method: 'PATCH',
      path,
      body,
      headers: { Prefer: 'create-if-missing' },
      // The application was created moments ago: Graph may not see it yet (NoBackingApplicationObject).
      expectExisting: true,
    });
    if (res.status === 201 && res.body?.id) return res.body;
    return (await this.api.send<ObservedServicePrincipal>({ method: 'GET', path, expectExisting: true })).body;
  }

  findServicePrincipal(appId: string): Promise<ObservedServicePrincipal | undefined> {
    return this.#find<ObservedServicePrincipal>(`/servicePrincipals(appId=${key(appId)})`);
  }

  /** Microsoft Graph's own service principal in this tenant: its object id and permission ids (read once). */
  graphServicePrincipal(): Promise<GraphServicePrincipalInfo> {
    this.#graphSp ??= this.api
      .send<GraphServicePrincipalInfo>({
        method: 'GET',
        path: `/servicePrincipals(appId=${key(MICROSOFT_GRAPH_APP_ID)})?$select=id,appId,appRoles,oauth2PermissionScopes`,
      })
      .then((r) => r.body)
      .catch((err: unknown) => {
        this.#graphSp = undefined;
        throw err;
      });
    return this.#graphSp;
  }

  /** App role assignments the service principal holds. */
  async appRoleAssignments(servicePrincipalId: string): Promise<ObservedAppRoleAssignment[]> {
    return this.#all<ObservedAppRoleAssignment>(`/servicePrincipals/${servicePrincipalId}/appRoleAssignments`, true);
  }

  /** Grants an application permission; an assignment that exists already counts as granted. */
  /** Assigns an app role: Graph's answer (201), or undefined when the assignment exists already. */
  async assignAppRole(
    resourceServicePrincipalId: string,
    body: object,
  ): Promise<ObservedAppRoleAssignment | undefined> {
    try {
      const res = await this.api.send<ObservedAppRoleAssignment>({
        method: 'POST',
        path: `/servicePrincipals/${resourceServicePrincipalId}/appRoleAssignedTo`,
        body,
        expectExisting: true,
      });
      return res.body;
    } catch (err) {
      if (err instanceof GraphRequestError && /already exists/i.test(err.message)) return undefined;
      throw err;
    }
  }

  async permissionGrants(clientServicePrincipalId: string): Promise<PermissionGrant[]> {
    return this.#all<PermissionGrant>(
      `/oauth2PermissionGrants?$filter=clientId eq ${key(clientServicePrincipalId)}`,
      true,
    );
  }

  /** Creates a delegated permission grant; Graph's answer (201) is the grant as stored. */
  async createPermissionGrant(body: object): Promise<PermissionGrant> {
    const res = await this.api.send<PermissionGrant>({
      method: 'POST',
      path: '/oauth2PermissionGrants',
      body,
      expectExisting: true,
    });
    return res.body;
  }

  async updatePermissionGrantScope(id: string, scope: string): Promise<void> {
    await this.api.send({ method: 'PATCH', path: `/oauth2PermissionGrants/${id}`, body: { scope } });
  }

  /** GET an object; undefined when Graph says it does not exist. */
  async #find<T>(path: string): Promise<T | undefined> {
    try {
      return (await this.api.send<T>({ method: 'GET', path })).body;
    } catch (err) {
      if (err instanceof GraphRequestError && err.kind === 'notFound') return undefined;
      throw err;
    }
  }

  async #all<T>(path: string, expectExisting: boolean): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const res: { body: Collection<T> } = await this.api.send<Collection<T>>({
        method: 'GET',
        path: next,
        expectExisting,
      });
      out.push(...res.body.value);
      const link = res.body['@odata.nextLink'];
      next = link ? link.replace(/^https?:\/\/[^/]+\/v1\.0/, '') : undefined;
    }
    return out;
  }
}
