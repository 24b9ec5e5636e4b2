import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** uint8 is for constants (quantized weights); a Uint8Array fed at run time is read as bool. */
export type DType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';

export type TypedArray = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export const onnxDataType: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
  uint8: onnx.TensorProto.DataType.UINT8,
};

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'float64';
}

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
      return 2;
    case 'bool':
    case 'uint8':
      return 1;
  }
}

/** The typed array a dtype is stored in on the JS side (float16 as raw bits in a Uint16Array, as onnxruntime does). */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'float16':
      return new Uint16Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
    case 'uint8':
      return new Uint8Array(size);
  }
}

export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint16Array) return 'float16';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}
